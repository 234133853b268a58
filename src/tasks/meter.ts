// What the task plane reports for metrics, as a small port: the peer passes
// an implementation backed by its Prometheus registry (src/ops/meters.ts),
// tests and embedders may pass nothing. Labels are task names (defined by the
// app, so bounded), never task ids.
import type { AttemptOutcome } from './record.js'

export type TaskEvent = 'enqueued' | 'claimed' | 'completed' | 'failed' | 'retried'
export type TrafficDirection = 'in' | 'out'
/** Why a gossip message was dropped before any record of it was merged. */
export type GossipDropReason =
  /** Not msgpack, or not a `{ v, records }` body: rejected (the sender's gossipsub score drops). */
  | 'malformed'
  /** A body of our version with a record that fails validation: rejected. */
  | 'invalid-record'
  /** Another wire version (a rolling upgrade): ignored, sync carries the records. */
  | 'version'
  /** The author or the forwarding peer is not a live member (yet): ignored. */
  | 'not-member'

export interface TaskMeter {
  /** `name` (a defined task) went through `event` on this peer. */
  task(name: string, event: TaskEvent): void
  /** One attempt of `name` ran for `seconds` and ended with `outcome`. */
  attempt(name: string, outcome: AttemptOutcome, seconds: number): void
  /** One gossip message of `bytes` bytes was published (`out`) or accepted and merged (`in`). */
  gossip(direction: TrafficDirection, bytes: number): void
  /** One gossip message was dropped; `reject` lowers the sender's gossipsub score, `ignore` does not. */
  gossipDropped(verdict: 'reject' | 'ignore', reason: GossipDropReason): void
  /** One sync exchange this peer started ended; records pulled into and pushed from this peer. */
  sync(ok: boolean, pulled: number, pushed: number): void
}

export const noTaskMeter: TaskMeter = {
  task() {},
  attempt() {},
  gossip() {},
  gossipDropped() {},
  sync() {},
}
