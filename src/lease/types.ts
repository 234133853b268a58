// The events a node consumes and the effects it asks its shell to carry out.
// All times are the node's own monotonic milliseconds (its Clock), never
// another node's: they are only ever compared with the same node's `now`.

import type { Fence } from './ballot.js'
import type { Message } from './messages.js'

/** What the shell keeps on disk, written whole and atomically on every `persist` effect. */
export interface PersistedState {
  /** The configuration this node last adopted (0 = none yet). */
  cfg: number
  voters: string[]
  /** Ballot floor reservation for config `floorCfg`: no ballot below n is ever promised again. */
  floorCfg: number
  floorN: number
  /** Config Paxos acceptor state for choosing config cfg+1. */
  cPromised?: { n: number, by: string }
  cAccepted?: { n: number, by: string, voters: string[] }
  /** Booted without a disk once: abstain from choosing the successor of this config (we may have voted on it and forgotten). */
  abstainCfg?: number
  /** Floor recovery (after a disk loss) has not finished: redo it after a restart. */
  recovering?: boolean
  /**
   * Reservation of this node's own ballot numbers: none above it was used.
   * After a restart the proposer starts above it, so no ballot (and so no
   * fence) is ever used for two tenures, even while the old one's grant lives.
   */
  propN?: number
}

export type LeaseEvent =
  /** First event after the process starts. `persisted` is what the last `persist` effect wrote, if the disk kept it. `bootstrap` creates config 1 = {self} and must be given only on the very first start of the very first peer. `fresh` says this peer id has never run before (a new identity): without it, a boot with no persisted state is treated as a disk loss (floor recovery, and abstaining from the next config choice). */
  | { type: 'boot', persisted?: PersistedState, bootstrap?: boolean, fresh?: boolean }
  /** A timer the node asked for has fired (early or late ticks are harmless). */
  | { type: 'tick' }
  /** A message arrived; `body` is untrusted and validated inside. */
  | { type: 'message', from: string, body: unknown }
  /** The membership layer's view: which peers look alive and which announced they are leaving. A hint only, never a quorum. */
  | { type: 'hint', alive: string[], leaving: string[] }
  /** Graceful leave: release everything, stop acquiring, and have this node removed from the voters. */
  | { type: 'leave' }
  /**
   * Found a new cluster now: config 1 = {self}, as `bootstrap` does at boot. Ignored unless the node has no config and
   * has never promised or accepted one. The shell gives it to one peer only: the smallest id of a seed list that every
   * peer of a new cluster shares, once all of them see each other with no config (src/peer/founding.ts).
   */
  | { type: 'found' }

/**
 * Why a tenure ended: `expired` (validUntil passed without a renewal), `released` (handed over, or the node is
 * leaving), `config` (a new voter configuration), `refused` (voters refused its renewal for a lower-ranked
 * prober's promise; the partition is probed again at once under a higher ballot).
 */
export type LossReason = 'expired' | 'released' | 'config' | 'refused'

export type Effect =
  /** Send on `channel` (see channelOf). One-way; replies come back as messages. */
  | { type: 'send', to: string, channel: string, message: Message }
  /** Write `state` durably BEFORE carrying out any later effect of the same step. */
  | { type: 'persist', state: PersistedState }
  /** This node now holds `partition` until `validUntil` (local ms). Check `now < validUntil` before every side effect. */
  | { type: 'acquired', partition: number, fence: Fence, validUntil: number }
  | { type: 'renewed', partition: number, fence: Fence, validUntil: number }
  /** The tenure ended (it may already have ended at validUntil; this is the notice). */
  | { type: 'lost', partition: number, fence: Fence, reason: LossReason }
  /** A new voter configuration was adopted. `voter` says whether this node votes in it. */
  | { type: 'config', cfg: number, voters: string[], voter: boolean }
  /** Deliver a `tick` at or after local time `at`. Replaces any earlier timer request. */
  | { type: 'timer', at: number }
  /** A message was rejected; log it. */
  | { type: 'invalid', from: string, reason: string }

/**
 * Deliberately broken variants, for the simulator's mutation controls only.
 * Each removes one rule that safety depends on; never set them in production.
 */
export interface UnsafeKnobs {
  /** Holder trusts M - eps instead of M(1-2rho) - eps. */
  noDriftMargin?: boolean
  /** Holder starts its validity timer when the majority ack arrives, not before sending Propose. */
  timerOnAck?: boolean
  /** Acceptors vote right after boot or config adoption (no wait W). */
  noRestartWait?: boolean
  /** Quorum is a majority of the voters the local membership view sees alive. */
  viewQuorum?: boolean
  /** The ballot floor is never written to disk. */
  noFloorPersist?: boolean
}

export type UnsafeName = keyof UnsafeKnobs
export const UNSAFE_NAMES: UnsafeName[] = ['noDriftMargin', 'timerOnAck', 'noRestartWait', 'viewQuorum', 'noFloorPersist']
