// What tasks and actors need from the lease protocol, and nothing more: which
// partitions this peer holds now (with a fencing token and a deadline), news
// of changes, and a hint of who holds any partition.

export interface PartitionGrant {
  readonly fence: string
  /** In Clock.now() ms: do not start a side effect at or after this. */
  readonly validUntil: number
}

export interface ClaimsChange {
  type: 'acquired' | 'lost'
  partition: number
  fence?: string
}

export interface PartitionClaims {
  readonly partitions: number
  partitionOf(key: string): number
  /** This peer's current grant on partition p, or undefined. */
  held(p: number): PartitionGrant | undefined
  /** Subscribes to grants and losses of partitions by this peer; returns the unsubscribe function. */
  onChange(listener: (event: ClaimsChange) => void): () => void
}

/** Who probably holds a partition: a routing hint (the receiver checks and redirects). */
export interface HolderDirectory {
  holderOf(p: number): string | undefined
}

/** The peers that would take a partition over next, best first (for replicating state ahead of a move). */
export interface Successors {
  successorsOf(p: number, count: number): string[]
}
