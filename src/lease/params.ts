// Parameters of the lease protocol: defaults, derived bounds, and the
// relations between them, checked once when a node is created.

import { ConfigError } from '../errors.js'
import * as K from './constants.js'

export interface LeaseParams {
  partitions: number
  /** M: how long an acceptor keeps an accepted lease, on its own clock. */
  leaseMs: number
  /** rho: bound on clock rate drift. */
  driftRho: number
  /** epsilon: timer and send slack. */
  slackMs: number
  renewIntervalMs: number
  roundTimeoutMs: number
  backoffJitterMs: number
  busyRetryMaxMs: number
  tickMaxMs: number
  fallbackRanks: number
  fallbackDelayMs: number
  handoffStableMs: number
  votersMax: number
  voterDeadReplaceMs: number
  configStableMs: number
  /** How long who is leaving must be unchanged before a leaving voter whose vote is needed is taken out (capped by configStableMs). */
  leaveSettleMs: number
  configRetryMs: number
  floorReserve: number
}

/** Bounds derived from the parameters; never configured directly. */
export interface DerivedParams extends LeaseParams {
  /** H = M(1-2rho) - eps: how long a holder trusts a grant, measured from BEFORE its Propose left. */
  holderValidMs: number
  /** W = M(1+rho) + eps: how long an acceptor that may have forgotten a grant stays silent. */
  restartWaitMs: number
}

export const defaultLeaseParams: LeaseParams = {
  partitions: K.DEFAULT_PARTITIONS,
  leaseMs: K.DEFAULT_LEASE_MS,
  driftRho: K.DEFAULT_DRIFT_RHO,
  slackMs: K.DEFAULT_SLACK_MS,
  renewIntervalMs: K.DEFAULT_RENEW_INTERVAL_MS,
  roundTimeoutMs: K.DEFAULT_ROUND_TIMEOUT_MS,
  backoffJitterMs: K.DEFAULT_BACKOFF_JITTER_MS,
  busyRetryMaxMs: K.DEFAULT_BUSY_RETRY_MAX_MS,
  tickMaxMs: K.DEFAULT_TICK_MAX_MS,
  fallbackRanks: K.DEFAULT_FALLBACK_RANKS,
  fallbackDelayMs: K.DEFAULT_FALLBACK_DELAY_MS,
  handoffStableMs: K.DEFAULT_HANDOFF_STABLE_MS,
  votersMax: K.DEFAULT_VOTERS_MAX,
  voterDeadReplaceMs: K.DEFAULT_VOTER_DEAD_REPLACE_MS,
  configStableMs: K.DEFAULT_CONFIG_STABLE_MS,
  leaveSettleMs: K.DEFAULT_LEAVE_SETTLE_MS,
  configRetryMs: K.DEFAULT_CONFIG_RETRY_MS,
  floorReserve: K.DEFAULT_FLOOR_RESERVE,
}

export function holderValidMs(leaseMs: number, driftRho: number, slackMs: number): number {
  return leaseMs * (1 - 2 * driftRho) - slackMs
}

export function restartWaitMs(leaseMs: number, driftRho: number, slackMs: number): number {
  return leaseMs * (1 + driftRho) + slackMs
}

function check(ok: boolean, relation: string): void {
  if (!ok) throw new ConfigError(`lease parameters: ${relation}`)
}

/** Fills defaults, derives H and W, and rejects inconsistent parameters with a ConfigError naming the relation. */
export function resolveLeaseParams(init: Partial<LeaseParams> = {}): DerivedParams {
  const p: LeaseParams = { ...defaultLeaseParams, ...init }
  for (const [name, value] of Object.entries(p)) check(Number.isFinite(value) && value >= 0, `${name} must be a finite number >= 0`)
  check(Number.isInteger(p.partitions) && p.partitions >= 1 && p.partitions <= K.PARTITIONS_MAX, `partitions in 1..${K.PARTITIONS_MAX}`)
  check(p.driftRho < K.DRIFT_RHO_MAX, `driftRho < ${K.DRIFT_RHO_MAX}`)
  check(p.renewIntervalMs * 3 <= p.leaseMs, 'renewIntervalMs * 3 <= leaseMs')
  check(p.roundTimeoutMs < p.renewIntervalMs, 'roundTimeoutMs < renewIntervalMs (a renewal round ends before the next starts)')
  check(p.votersMax % 2 === 1 && p.votersMax >= 1, 'votersMax is odd')
  check(p.floorReserve >= 1 && Number.isInteger(p.floorReserve), 'floorReserve is an integer >= 1')
  check(p.tickMaxMs > 0 && p.tickMaxMs <= p.renewIntervalMs, '0 < tickMaxMs <= renewIntervalMs')
  const derived: DerivedParams = {
    ...p,
    holderValidMs: holderValidMs(p.leaseMs, p.driftRho, p.slackMs),
    restartWaitMs: restartWaitMs(p.leaseMs, p.driftRho, p.slackMs),
  }
  check(derived.holderValidMs > 2 * p.renewIntervalMs, 'holderValidMs (M(1-2rho)-eps) > 2 * renewIntervalMs: one lost renewal must not lose the lease')
  return derived
}
