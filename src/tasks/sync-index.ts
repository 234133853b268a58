// What sync reads of the task store: the per-partition digest, and the
// fingerprint of every record in it by partition and bucket. A write only
// marks its record; the record enters the digest when the digest is read at
// least settleMs after that write, so records in flight (which gossip is
// delivering) do not make peers' digests differ. The index also tells which
// ids are stored at all, so a read of an id never stored skips lmdb.
import { SYNC_BUCKETS } from './constants.js'
import { bucketOf, Digest, fingerprint } from './digest.js'
import type { TaskRecord } from './record.js'

/**
 * A write not yet in the digest. An active record is kept as it is (the store's active map holds it anyway); a
 * finished one only by its fingerprint, so that it can be collected young: holding every finished record for the
 * settle window had each one copied by the young-generation GC and promoted, the largest part of the task plane's
 * GC time.
 */
interface Unhashed {
  partition: number
  /** Monotonic ms of the last write. */
  at: number
  /** Undefined: removed, or not kept (see fp). */
  record: TaskRecord | undefined
  /** The record's fingerprint when it is not kept. */
  fp: number | undefined
}

/** The fingerprint of the record as written, or undefined if it was removed. */
function fingerprintAt(u: Unhashed): number | undefined {
  return u.fp ?? (u.record === undefined ? undefined : fingerprint(u.record))
}

export class SyncIndex {
  private readonly state: Digest
  /** Fingerprint by id, one map per partition and bucket (at p * SYNC_BUCKETS + b), as of the last read of the digest. */
  private readonly cells: Array<Map<string, number> | undefined>
  /** Records written and not yet in the digest, in the order of their last write (monotonic ms `at`). */
  private readonly unhashed = new Map<string, Unhashed>()

  constructor(partitions: number, private readonly partitionOf: (id: string) => number, private readonly settleMs: number, private readonly mono: () => number) {
    this.state = new Digest(partitions)
    this.cells = new Array<Map<string, number> | undefined>(partitions * SYNC_BUCKETS)
  }

  /** A write of `id` at monotonic ms `at`: `after` (undefined: removed), kept whole when `active`, else by fingerprint. */
  mark(id: string, partition: number, at: number, after: TaskRecord | undefined, active: boolean): void {
    // Moved to the end: the map stays in the order of last writes, so the digest's read stops at the first young one.
    this.unhashed.delete(id)
    this.unhashed.set(id, { partition, at, record: active ? after : undefined, fp: active || after === undefined ? undefined : fingerprint(after) })
  }

  /** The digest of the records as they were settleMs ago and earlier: writes that old enter it now. */
  get digest(): Digest {
    const cutoff = this.mono() - this.settleMs
    for (const [id, u] of this.unhashed) {
      if (u.at > cutoff) break
      this.unhashed.delete(id)
      const b = bucketOf(id)
      const c = u.partition * SYNC_BUCKETS + b
      const cell = this.cells[c] ?? (this.cells[c] = new Map())
      const old = cell.get(id)
      const next = fingerprintAt(u)
      this.state.update(u.partition, b, old, next)
      if (next === undefined) cell.delete(id)
      else cell.set(id, next)
    }
    return this.state
  }

  /** The fingerprint of the record `id` as the digest has it (undefined if none); with `fresh`, of the record as it is now. */
  fingerprintOf(id: string, fresh = false): number | undefined {
    void this.digest
    const marked = fresh ? this.unhashed.get(id) : undefined
    if (marked !== undefined) return fingerprintAt(marked)
    return this.cells[this.partitionOf(id) * SYNC_BUCKETS + bucketOf(id)]?.get(id)
  }

  /**
   * The ids of partition p's records in `buckets` (in that order), with their fingerprints, as the digest has them;
   * with `fresh`, as they are now (records written within settleMs included, a handover's view).
   */
  summary(p: number, buckets: readonly number[], fresh = false): { ids: string[], fps: number[] } {
    void this.digest
    const all = new Map<string, number>()
    for (const b of buckets) for (const [id, fp] of this.cells[p * SYNC_BUCKETS + b] ?? []) all.set(id, fp)
    if (fresh && this.unhashed.size > 0) {
      const wanted = new Set(buckets)
      for (const [id, u] of this.unhashed) {
        if (u.partition !== p || !wanted.has(bucketOf(id))) continue
        const fp = fingerprintAt(u)
        if (fp === undefined) all.delete(id)
        else all.set(id, fp)
      }
    }
    return { ids: [...all.keys()], fps: [...all.values()] }
  }

  /** How many records partition p holds in bucket b, as the digest has them. */
  bucketSize(p: number, b: number): number {
    void this.digest
    return this.cells[p * SYNC_BUCKETS + b]?.size ?? 0
  }

  /** Whether a record of `id` is stored (or being written): every write marks it, and the digest's read moves it into its cell. */
  holds(p: number, id: string): boolean {
    const marked = this.unhashed.get(id)
    if (marked !== undefined) return marked.record !== undefined || marked.fp !== undefined
    return this.cells[p * SYNC_BUCKETS + bucketOf(id)]?.has(id) === true
  }
}
