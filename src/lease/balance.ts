// Balanced rendezvous placement: which worker is each partition's desired
// owner. Plain rendezvous (HRW) hashing gives each partition its top-weight
// worker, which spreads partitions unevenly (64 partitions over 3 workers:
// the busiest commonly holds 25 to 28 of them, so it runs a third more tasks
// than its share). Here each worker takes floor(partitions / workers) or one
// more: the owners are the stable matching between partitions and workers,
// both ranking each other by the same HRW weight, with those capacities (the
// partitions left over by the first matching get a second). Found by deferred
// acceptance, each matching is the unique stable one, so the result depends
// only on the set of workers and the partition count, never on the order they
// are given in or computed: every peer with the same view gets the same
// owners. Like HRW, a worker that joins or leaves mostly moves partitions to
// or from itself; a few others move too, to keep the loads even.
// Placement only: who holds a partition is decided by the lease.

import { Heap } from '../util/heap.js'
import { hrwBefore, hrwRank, hrwScore } from './hash.js'

/** Distinct worker sets whose placement is kept (each ~4 bytes per partition): views change rarely. */
export const PLACEMENTS_KEPT = 8

export class Placement {
  /** The workers, sorted, without repeats. */
  readonly workers: readonly string[]
  /** Index in `workers` of each partition's owner; -1 without workers. */
  private readonly owners: Int32Array
  private readonly orders = new Map<number, readonly string[]>()

  constructor(workers: readonly string[], readonly partitions: number) {
    this.workers = [...new Set(workers)].sort()
    this.owners = assign(this.workers, partitions)
  }

  /** The desired owner of partition `p`; undefined without workers. */
  owner(p: number): string | undefined {
    const i = this.owners[p]
    return i === undefined || i < 0 ? undefined : this.workers[i]
  }

  /**
   * Partition p's order: its owner, then the other workers by HRW weight. Rank r tries the partition as a fallback
   * (after r fallback delays without an owner), and the first ranks keep copies of its actors' state (best effort).
   */
  order(p: number): readonly string[] {
    let order = this.orders.get(p)
    if (order === undefined) {
      const owner = this.owner(p)
      order = owner === undefined ? [] : [owner, ...hrwRank(this.workers, p).filter((w) => w !== owner)]
      this.orders.set(p, order)
    }
    return order
  }

  /** order(p).indexOf(peer), without building the order: 0 for the owner, -1 for a peer that is not a worker. */
  indexOf(p: number, peer: string): number {
    const owner = this.owner(p)
    if (owner === peer) return 0
    if (owner === undefined || !this.has(peer)) return -1
    const mine = hrwScore(peer, p)
    const workers = this.workers
    let n = 1
    // Indexed: an idle peer runs this unoptimized (TROUPE_V8_IDLE_FLAGS), where for-of allocates an iterator result per step.
    for (let i = 0; i < workers.length; i++) {
      const w = workers[i]!
      if (w !== peer && w !== owner && hrwBefore(w, hrwScore(w, p), peer, mine)) n++
    }
    return n
  }

  private has(peer: string): boolean {
    // Sorted: a binary search, since placement asks for every partition on every lease tick.
    let lo = 0
    let hi = this.workers.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const w = this.workers[mid]!
      if (w === peer) return true
      if (w < peer) lo = mid + 1
      else hi = mid - 1
    }
    return false
  }
}

const kept = new Map<string, Placement>()

/**
 * The placement of `partitions` over `workers` (in any order, repeats ignored), kept for the last PLACEMENTS_KEPT
 * worker sets: the lease node asks on every tick, and a set changes only when membership does.
 */
export function placementOf(workers: readonly string[], partitions: number): Placement {
  const key = `${partitions}\n${[...new Set(workers)].sort().join('\n')}`
  let placement = kept.get(key)
  if (placement === undefined) {
    placement = new Placement(workers, partitions)
    if (kept.size >= PLACEMENTS_KEPT) kept.delete(kept.keys().next().value as string)
    kept.set(key, placement)
  }
  return placement
}

/**
 * Deferred acceptance, twice. First each worker may keep floor(partitions / workers): each unplaced partition asks
 * its best worker it has not asked yet; a worker keeps the partitions with the highest weights it was asked by
 * (ties: the lower partition) and turns the lowest away, which asks its next worker. Each partition asks each worker
 * at most once, so it ends, and the partitions every worker turned away (fewer than the workers) are matched the
 * same way with one more place each: no worker holds more than one partition above any other.
 */
function assign(workers: readonly string[], partitions: number): Int32Array {
  const owners = new Int32Array(partitions).fill(-1)
  const n = workers.length
  if (n === 0) return owners
  const all: number[] = []
  for (let p = partitions - 1; p >= 0; p--) all.push(p)
  const left = match(workers, all, Math.floor(partitions / n), owners)
  match(workers, left, 1, owners)
  return owners
}

/** Matches the partitions `free` (taken from its end) to workers with `cap` places each, into `owners`; returns those left over. */
function match(workers: readonly string[], free: number[], cap: number, owners: Int32Array): number[] {
  const n = workers.length
  const left: number[] = []
  if (cap === 0) return free
  // The worker each partition last asked (-1: none yet).
  const asked = new Map<number, number>()
  const score = (w: number, p: number): number => hrwScore(workers[w]!, p)
  // Per worker, a min-heap of the partitions it keeps: the first out is the one it ranks lowest (ties: the higher partition).
  const heaps = workers.map((_, w) => new Heap<number>((a, b) => {
    const sa = score(w, a)
    const sb = score(w, b)
    return sa !== sb ? sa - sb : b - a
  }))
  /** The best worker for p after `last` in p's HRW order (-1: from the start; -1 back: none left). */
  const nextChoice = (p: number, last: number): number => {
    const lastScore = last < 0 ? 0 : score(last, p)
    let best = -1
    let bestScore = 0
    for (let w = 0; w < n; w++) {
      const s = score(w, p)
      if (last >= 0 && !hrwBefore(workers[last]!, lastScore, workers[w]!, s)) continue
      if (best < 0 || hrwBefore(workers[w]!, s, workers[best]!, bestScore)) { best = w; bestScore = s }
    }
    return best
  }
  while (free.length > 0) {
    const p = free.pop()!
    const w = nextChoice(p, asked.get(p) ?? -1)
    if (w < 0) {
      left.push(p)
      continue
    }
    asked.set(p, w)
    const heap = heaps[w]!
    heap.push(p)
    if (heap.size > cap) free.push(heap.pop()!)
  }
  heaps.forEach((heap, w) => { for (let p = heap.pop(); p !== undefined; p = heap.pop()) owners[p] = w })
  return left
}
