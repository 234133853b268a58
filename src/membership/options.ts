// Membership options: every field optional, defaults from constants.ts, and
// the relations between them checked once here.

import { ConfigError } from '../errors.js'
import { describeValue } from '../util/describe.js'
import {
  DEAD_AFTER_MS, FORGET_AFTER_MS, GOSSIP_FANOUT, GOSSIP_INTERVAL_MS, HEARTBEAT_INTERVAL_MS,
  LOCAL_STALL_TOLERANCE_MS, MEMBERS_MAX, SUSPECT_AFTER_MS,
} from './constants.js'

export interface MembershipOptions {
  heartbeatIntervalMs: number
  gossipIntervalMs: number
  gossipFanout: number
  /** How often the view is ticked (failure checks, heartbeat). */
  tickIntervalMs: number
  suspectAfterMs: number
  deadAfterMs: number
  localStallToleranceMs: number
  forgetAfterMs: number
  membersMax: number
  /** Chance per gossip round of also contacting one member believed dead. */
  deadProbeChance: number
  /** How long a gossip exchange may take before it counts as failed. */
  exchangeTimeoutMs: number
}

export type MembershipInit = Partial<MembershipOptions>

export function resolveMembershipOptions(init: MembershipInit = {}): MembershipOptions {
  const o: MembershipOptions = {
    heartbeatIntervalMs: init.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    gossipIntervalMs: init.gossipIntervalMs ?? GOSSIP_INTERVAL_MS,
    gossipFanout: init.gossipFanout ?? GOSSIP_FANOUT,
    tickIntervalMs: init.tickIntervalMs ?? 250,
    suspectAfterMs: init.suspectAfterMs ?? SUSPECT_AFTER_MS,
    deadAfterMs: init.deadAfterMs ?? DEAD_AFTER_MS,
    localStallToleranceMs: init.localStallToleranceMs ?? LOCAL_STALL_TOLERANCE_MS,
    forgetAfterMs: init.forgetAfterMs ?? FORGET_AFTER_MS,
    membersMax: init.membersMax ?? MEMBERS_MAX,
    deadProbeChance: init.deadProbeChance ?? 0.25,
    exchangeTimeoutMs: init.exchangeTimeoutMs ?? 2_000,
  }
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`membership.${k} must be a non-negative number, got ${describeValue(v)}`)
  }
  if (o.tickIntervalMs > o.heartbeatIntervalMs) throw new ConfigError('membership.tickIntervalMs must not exceed heartbeatIntervalMs')
  if (o.suspectAfterMs < 2 * (o.heartbeatIntervalMs + o.gossipIntervalMs)) {
    throw new ConfigError('membership.suspectAfterMs must be at least 2 x (heartbeatIntervalMs + gossipIntervalMs), or healthy members flap')
  }
  if (o.deadAfterMs <= o.suspectAfterMs) throw new ConfigError('membership.deadAfterMs must exceed suspectAfterMs')
  if (o.forgetAfterMs < o.deadAfterMs * 10) throw new ConfigError('membership.forgetAfterMs must be at least 10 x deadAfterMs, or stale gossip revives the dead')
  return o
}
