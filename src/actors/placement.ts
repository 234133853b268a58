// What the actor plane needs to know about placement, beyond the claims this
// peer holds: a hint of who holds a partition (to send there first) and who
// would take it over (to keep state copies there). The peer supplies both
// from the lease and membership layers; tests use StaticAssignment.holder and
// a simple function. Both are hints: correctness rests on PartitionClaims.

export interface HolderDirectory {
  /** The peer believed to hold partition p now, or undefined if unknown. */
  holderOf(p: number): string | undefined
}

export interface Successors {
  /** Up to `count` peers that would take partition p over, best first (HRW ranks of live peers); may include this peer. */
  successorsOf(p: number, count: number): string[]
}
