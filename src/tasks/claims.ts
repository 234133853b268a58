// What the task plane needs from the lease protocol: which partitions this
// peer holds now, with a fencing token and a deadline, and news of changes.
// The lease module is adapted to this interface by the peer; StaticClaims is
// a hand-driven assignment for tests, a single peer, or a fixed cluster.
import { hash32 } from './canonical.js'

export type { ClaimsChange, PartitionClaims, PartitionGrant } from '../placement/claims.js'
import type { ClaimsChange, PartitionClaims, PartitionGrant } from '../placement/claims.js'

/** Stable key-to-partition hashing, the same on every peer. */
export function hashPartition(key: string, partitions: number): number {
  return hash32(key) % partitions
}

/**
 * A static assignment of partitions to peers that a test (or operator) moves
 * by hand: `move` takes a partition from its holder (which sees `lost`) and
 * gives it to another with a larger fence (which sees `acquired`).
 */
export class StaticAssignment {
  private readonly holders: Array<string | undefined>
  private readonly fences: number[]
  private readonly views = new Map<string, StaticClaims>()

  constructor(readonly partitions = 256) {
    this.holders = new Array<string | undefined>(partitions).fill(undefined)
    this.fences = new Array<number>(partitions).fill(0)
  }

  /** The claims view of one peer. */
  claimsFor(peer: string): StaticClaims {
    let view = this.views.get(peer)
    if (view === undefined) {
      view = new StaticClaims(peer, this)
      this.views.set(peer, view)
    }
    return view
  }

  /** Spreads all partitions over `peers` round-robin. */
  spread(peers: readonly string[]): void {
    for (let p = 0; p < this.partitions; p++) this.move(p, peers[p % peers.length])
  }

  /** Moves every partition held by `from` to the others in `to`, round-robin. */
  moveAll(from: string, to: readonly string[]): void {
    let i = 0
    for (let p = 0; p < this.partitions; p++) if (this.holders[p] === from) this.move(p, to[i++ % to.length])
  }

  move(p: number, to: string | undefined): void {
    const from = this.holders[p]
    if (from === to) return
    this.holders[p] = to
    this.fences[p] = (this.fences[p] ?? 0) + 1
    if (from !== undefined) this.views.get(from)?.emit({ type: 'lost', partition: p })
    if (to !== undefined) this.claimsFor(to).emit({ type: 'acquired', partition: p, fence: this.fence(p) })
  }

  holder(p: number): string | undefined {
    return this.holders[p]
  }

  fence(p: number): string {
    return `${p}:${this.fences[p] ?? 0}`
  }
}

export class StaticClaims implements PartitionClaims {
  private readonly listeners = new Set<(event: ClaimsChange) => void>()

  constructor(readonly peer: string, private readonly assignment: StaticAssignment) {}

  get partitions(): number {
    return this.assignment.partitions
  }

  partitionOf(key: string): number {
    return hashPartition(key, this.partitions)
  }

  held(p: number): PartitionGrant | undefined {
    return this.assignment.holder(p) === this.peer ? { fence: this.assignment.fence(p), validUntil: Number.POSITIVE_INFINITY } : undefined
  }

  onChange(listener: (event: ClaimsChange) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  emit(event: ClaimsChange): void {
    for (const l of [...this.listeners]) l(event)
  }
}
