// Placement: who TRIES to hold a partition. Balanced rendezvous hashing over
// the workers the membership hint sees alive picks a desired owner
// (balance.ts); the next ranks try only after the partition has looked
// ownerless a while. None of this affects safety (the lease decides who may
// run); it decides load spread and how fast a dead owner is replaced.

import { placementOf, type Placement } from './balance.js'
import type { NodeState } from './state.js'

/** Peers that may hold partitions, as this node sees them (itself included unless leaving). */
export function workers(s: NodeState): string[] {
  const out = [...s.view.aliveSince.keys()].filter((p) => !s.view.leaving.has(p) && p !== s.id)
  if (!s.leaving) out.push(s.id)
  return out
}

/** The placement of this node's partitions over the workers it sees. */
export function placementFor(s: NodeState): Placement {
  return placementOf(workers(s), s.params.partitions)
}

/** Our rank for `partition`: 0 = desired owner; -1 when we do not take partitions. */
export function rankOf(s: NodeState, partition: number, placement = placementFor(s)): number {
  return placement.indexOf(partition, s.id)
}

/** Should we try to acquire `partition` now (it is idle and its retry time has passed)? */
export function wantsToAcquire(s: NodeState, partition: number, now: number, placement?: Placement): boolean {
  if (s.leaving || s.config.cfg === 0) return false
  const rank = rankOf(s, partition, placement)
  if (rank === 0) return true
  if (rank < 0 || rank > s.params.fallbackRanks) return false
  return now - s.slots[partition]!.ownerSeenAt >= rank * s.params.fallbackDelayMs
}

/** Should we hand `partition` over: we are leaving, or its desired owner is someone else that has looked alive long enough. */
export function shouldRelease(s: NodeState, partition: number, now: number, placement = placementFor(s)): boolean {
  if (s.leaving) return true
  const desired = placement.owner(partition)
  if (desired === undefined || desired === s.id) return false
  const since = s.view.aliveSince.get(desired)
  return since !== undefined && now - since >= s.params.handoffStableMs
}
