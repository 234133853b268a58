// What sync reads of the task store: the per-partition digest, and the
// fingerprint of every record in it by partition and bucket. A write only
// marks its record; the record enters the digest when the digest is read at
// least settleMs after that write, so records in flight (which gossip is
// delivering) do not make peers' digests differ. The index also tells which
// ids are stored at all, so a read of an id never stored skips lmdb.
import { SYNC_BUCKETS } from './constants.js'
import { bucketOf, Digest, fingerprint } from './digest.js'
import type { TaskRecord } from './record.js'

/** Past this many digested slots at the front of the ring (and half of it), the ring drops them. */
const RING_COMPACT_MIN = 1024

export class SyncIndex {
  private readonly state: Digest
  /** Fingerprint by id, one map per partition and bucket (at p * SYNC_BUCKETS + b), as of the last read of the digest. */
  private readonly cells: Array<Map<string, number> | undefined>
  /**
   * Writes not yet in the digest, in write order, as parallel arrays (no object per write: each lived for the whole
   * settle window, long enough to be copied by the young-generation GC and promoted). Slot s is at index s - base;
   * a slot whose id a later write has superseded holds undefined. A write of an active record keeps the record
   * (the store's active map holds it anyway); of a finished one, only its fingerprint, so that the record can be
   * collected young; a removal, neither (fingerprint NaN).
   */
  private ids: Array<string | undefined> = []
  private parts: number[] = []
  /** Monotonic ms of each write. */
  private ats: number[] = []
  private recs: Array<TaskRecord | undefined> = []
  private fps: number[] = []
  private base = 0
  /** The first slot not yet in the digest. */
  private head = 0
  /** The slot of each id's last write not yet in the digest. */
  private readonly slots = new Map<string, number>()

  constructor(partitions: number, private readonly partitionOf: (id: string) => number, private readonly settleMs: number, private readonly mono: () => number) {
    this.state = new Digest(partitions)
    this.cells = new Array<Map<string, number> | undefined>(partitions * SYNC_BUCKETS)
  }

  /** A write of `id` at monotonic ms `at`: `after` (undefined: removed), kept whole when `active`, else by fingerprint. */
  mark(id: string, partition: number, at: number, after: TaskRecord | undefined, active: boolean): void {
    // What has settled by now enters the digest first (its earlier write of `id` included, before this one replaces it).
    this.fold(at - this.settleMs)
    const old = this.slots.get(id)
    if (old !== undefined) this.clear(old - this.base)
    this.slots.set(id, this.base + this.ids.length)
    this.ids.push(id)
    this.parts.push(partition)
    this.ats.push(at)
    this.recs.push(active ? after : undefined)
    this.fps.push(active || after === undefined ? Number.NaN : fingerprint(after))
  }

  /** The digest of the records as they were settleMs ago and earlier: writes that old enter it now. */
  get digest(): Digest {
    this.fold(this.mono() - this.settleMs)
    return this.state
  }

  /**
   * Moves writes made at or before `cutoff` (monotonic ms) into the digest, oldest first. Every write does this
   * (mark), so the writes waiting to settle stay about settleMs' worth however rarely sync reads the digest: between
   * two sync rounds (15 s) they grew to ~100,000 during a drain, and every read of an id looked it up in that map.
   * Each write is folded once, so a write pays for about one fold, as a read of the digest paid before.
   */
  private fold(cutoff: number): void {
    const end = this.base + this.ids.length
    for (; this.head < end; this.head++) {
      const i = this.head - this.base
      const id = this.ids[i]
      if (id === undefined) continue
      if ((this.ats[i] as number) > cutoff) break
      const p = this.parts[i] as number
      const next = this.fingerprintAt(i)
      this.slots.delete(id)
      this.clear(i)
      const b = bucketOf(id)
      const c = p * SYNC_BUCKETS + b
      const cell = this.cells[c] ?? (this.cells[c] = new Map())
      this.state.update(p, b, cell.get(id), next)
      if (next === undefined) cell.delete(id)
      else cell.set(id, next)
    }
    const done = this.head - this.base
    if (done >= RING_COMPACT_MIN && done * 2 >= this.ids.length) {
      this.ids = this.ids.slice(done)
      this.parts = this.parts.slice(done)
      this.ats = this.ats.slice(done)
      this.recs = this.recs.slice(done)
      this.fps = this.fps.slice(done)
      this.base = this.head
    }
  }

  /** The fingerprint of the record `id` as the digest has it (undefined if none); with `fresh`, of the record as it is now. */
  fingerprintOf(id: string, fresh = false): number | undefined {
    void this.digest
    const slot = fresh ? this.slots.get(id) : undefined
    if (slot !== undefined) return this.fingerprintAt(slot - this.base)
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
    if (fresh && this.slots.size > 0) {
      const wanted = new Set(buckets)
      for (let i = this.head - this.base; i < this.ids.length; i++) {
        const id = this.ids[i]
        if (id === undefined || this.parts[i] !== p || !wanted.has(bucketOf(id))) continue
        const fp = this.fingerprintAt(i)
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
    const slot = this.slots.get(id)
    if (slot !== undefined) {
      const i = slot - this.base
      return this.recs[i] !== undefined || !Number.isNaN(this.fps[i])
    }
    return this.cells[p * SYNC_BUCKETS + bucketOf(id)]?.has(id) === true
  }

  /** The fingerprint of the write at index i, or undefined for a removal. */
  private fingerprintAt(i: number): number | undefined {
    const r = this.recs[i]
    if (r !== undefined) return fingerprint(r)
    const fp = this.fps[i] as number
    return Number.isNaN(fp) ? undefined : fp
  }

  /** Forgets the write at index i (superseded or digested): its id and record go, so they can be collected. */
  private clear(i: number): void {
    this.ids[i] = undefined
    this.recs[i] = undefined
  }
}
