// What sync reads of the task store: the per-partition digest, and the
// fingerprint of every record in it by partition and bucket. A write only
// marks its record; the record enters the digest when the digest is read at
// least settleMs after that write, so records in flight (which gossip is
// delivering) do not make peers' digests differ. The index also tells which
// ids are stored at all, so a read of an id never stored skips lmdb.
//
// Every id the index knows has a slot: one lookup by id per write, and
// nothing looked up by id when a write settles. A slot's cell (partition and
// bucket), settled fingerprint and place in its cell's list are numbers in
// typed arrays, so a store of many records adds no object per record. (Before,
// a map of unsettled writes and a map per cell took five lookups by id per
// write: in a drain's pattern, a task's pending write and finished write and
// their two folds cost ~4.6 µs on each peer, now ~2.4.)
import { SYNC_BUCKETS } from './constants.js'
import { bucketOf, Digest, fingerprint } from './digest.js'
import type { TaskRecord } from './record.js'

/** Past this many digested slots at the front of the ring (and half of it), the ring drops them. */
const RING_COMPACT_MIN = 1024

/** Slots of a new index; the arrays double as they fill. */
const SLOTS_INITIAL = 1024

/** "None" where a slot or a ring position is expected (cell lists, last writes, superseded ring entries). */
const NONE = -1

export class SyncIndex {
  private readonly state: Digest
  /** The slot of every id the index knows: settled in the digest, or written and not settled yet. */
  private readonly slotOf = new Map<string, number>()
  private readonly freeSlots: number[] = []
  private slotCount = 0
  // Per slot:
  private idOf: Array<string | undefined> = []
  /** p * SYNC_BUCKETS + b. */
  private cellOf = new Int32Array(SLOTS_INITIAL)
  /** The fingerprint the digest has, NaN when it has none. */
  private settled = new Float64Array(SLOTS_INITIAL)
  /** The settled slots of a cell form a doubly linked list: `summary` walks it. */
  private nextIn = new Int32Array(SLOTS_INITIAL)
  private prevIn = new Int32Array(SLOTS_INITIAL)
  /** The ring position (base + index: it only grows, hence not 32 bits) of the slot's last write not settled yet, or NONE. */
  private lastWrite = new Float64Array(SLOTS_INITIAL)
  /** The first settled slot of each cell, or NONE. */
  private readonly cellHead: Int32Array
  /**
   * Writes not yet in the digest, in write order, as parallel arrays (no object per write: each lived for the whole
   * settle window, long enough to be copied by the young-generation GC and promoted). Entry i is position base + i;
   * an entry superseded by a later write of its id holds slot NONE. A write of an active record keeps the record
   * (the store's active map holds it anyway); of a finished one, only its fingerprint, so that the record can be
   * collected young; a removal, neither (fingerprint NaN).
   */
  private slots: number[] = []
  /** Monotonic ms of each write. */
  private ats: number[] = []
  private recs: Array<TaskRecord | undefined> = []
  private fps: number[] = []
  private base = 0
  /** The first position not yet in the digest. */
  private head = 0

  constructor(partitions: number, private readonly settleMs: number, private readonly mono: () => number) {
    this.state = new Digest(partitions)
    this.cellHead = new Int32Array(partitions * SYNC_BUCKETS).fill(NONE)
  }

  /** A write of `id` at monotonic ms `at`: `after` (undefined: removed), kept whole when `active`, else by fingerprint. */
  mark(id: string, partition: number, at: number, after: TaskRecord | undefined, active: boolean): void {
    // What has settled by now enters the digest first (its earlier write of `id` included, before this one replaces it).
    this.fold(at - this.settleMs)
    let s = this.slotOf.get(id)
    if (s === undefined) s = this.allocate(id, partition)
    else {
      const old = this.lastWrite[s] as number
      if (old !== NONE) this.clear(old - this.base)
    }
    this.lastWrite[s] = this.base + this.slots.length
    this.slots.push(s)
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
    const end = this.base + this.slots.length
    for (; this.head < end; this.head++) {
      const i = this.head - this.base
      const s = this.slots[i] as number
      if (s === NONE) continue
      if ((this.ats[i] as number) > cutoff) break
      const next = this.fingerprintAt(i)
      this.clear(i)
      this.lastWrite[s] = NONE
      const cell = this.cellOf[s] as number
      const was = this.settled[s] as number
      const before = Number.isNaN(was) ? undefined : was
      this.state.update(Math.floor(cell / SYNC_BUCKETS), cell % SYNC_BUCKETS, before, next)
      if (next === undefined) {
        if (before !== undefined) this.unlink(s, cell)
        // Nothing settled and nothing written since: the id is no longer known.
        this.release(s)
      } else {
        if (before === undefined) this.link(s, cell)
        this.settled[s] = next
      }
    }
    const done = this.head - this.base
    if (done >= RING_COMPACT_MIN && done * 2 >= this.slots.length) {
      this.slots = this.slots.slice(done)
      this.ats = this.ats.slice(done)
      this.recs = this.recs.slice(done)
      this.fps = this.fps.slice(done)
      this.base = this.head
    }
  }

  /** The fingerprint of the record `id` as the digest has it (undefined if none); with `fresh`, of the record as it is now. */
  fingerprintOf(id: string, fresh = false): number | undefined {
    void this.digest
    const s = this.slotOf.get(id)
    if (s === undefined) return undefined
    const w = this.lastWrite[s] as number
    if (fresh && w !== NONE) return this.fingerprintAt(w - this.base)
    const fp = this.settled[s] as number
    return Number.isNaN(fp) ? undefined : fp
  }

  /**
   * The ids of partition p's records in `buckets` (in that order), with their fingerprints, as the digest has them;
   * with `fresh`, as they are now (records written within settleMs included, a handover's view).
   */
  summary(p: number, buckets: readonly number[], fresh = false): { ids: string[], fps: number[] } {
    void this.digest
    const all = new Map<string, number>()
    for (const b of buckets) {
      for (let s = this.cellHead[p * SYNC_BUCKETS + b] as number; s !== NONE; s = this.nextIn[s] as number) all.set(this.idOf[s] as string, this.settled[s] as number)
    }
    if (fresh && this.head < this.base + this.slots.length) {
      const wanted = new Set(buckets)
      for (let i = this.head - this.base; i < this.slots.length; i++) {
        const s = this.slots[i] as number
        if (s === NONE) continue
        const cell = this.cellOf[s] as number
        if (Math.floor(cell / SYNC_BUCKETS) !== p || !wanted.has(cell % SYNC_BUCKETS)) continue
        const fp = this.fingerprintAt(i)
        const id = this.idOf[s] as string
        if (fp === undefined) all.delete(id)
        else all.set(id, fp)
      }
    }
    return { ids: [...all.keys()], fps: [...all.values()] }
  }

  /** How many records partition p holds in bucket b, as the digest has them. */
  bucketSize(p: number, b: number): number {
    return this.digest.bucketCount(p, b)
  }

  /** Whether a record of `id` is stored (or being written): every write marks it, and the digest's read moves it into its cell. */
  holds(id: string): boolean {
    const s = this.slotOf.get(id)
    if (s === undefined) return false
    const w = this.lastWrite[s] as number
    if (w === NONE) return !Number.isNaN(this.settled[s] as number)
    const i = w - this.base
    return this.recs[i] !== undefined || !Number.isNaN(this.fps[i] as number)
  }

  /** The fingerprint of the write at index i, or undefined for a removal. */
  private fingerprintAt(i: number): number | undefined {
    const r = this.recs[i]
    if (r !== undefined) return fingerprint(r)
    const fp = this.fps[i] as number
    return Number.isNaN(fp) ? undefined : fp
  }

  /** Forgets the write at index i (superseded or digested): its record goes, so it can be collected. */
  private clear(i: number): void {
    this.slots[i] = NONE
    this.recs[i] = undefined
  }

  /** A slot for an id new to the index, in its cell, with nothing settled and no write yet. */
  private allocate(id: string, partition: number): number {
    let s = this.freeSlots.pop()
    if (s === undefined) {
      s = this.slotCount++
      if (s >= this.cellOf.length) this.grow()
    }
    this.slotOf.set(id, s)
    this.idOf[s] = id
    this.cellOf[s] = partition * SYNC_BUCKETS + bucketOf(id)
    this.settled[s] = Number.NaN
    this.lastWrite[s] = NONE
    this.nextIn[s] = NONE
    this.prevIn[s] = NONE
    return s
  }

  private release(s: number): void {
    this.slotOf.delete(this.idOf[s] as string)
    this.idOf[s] = undefined
    this.settled[s] = Number.NaN
    this.freeSlots.push(s)
  }

  private link(s: number, cell: number): void {
    const first = this.cellHead[cell] as number
    this.nextIn[s] = first
    this.prevIn[s] = NONE
    if (first !== NONE) this.prevIn[first] = s
    this.cellHead[cell] = s
  }

  private unlink(s: number, cell: number): void {
    const prev = this.prevIn[s] as number
    const next = this.nextIn[s] as number
    if (prev === NONE) this.cellHead[cell] = next
    else this.nextIn[prev] = next
    if (next !== NONE) this.prevIn[next] = prev
    this.nextIn[s] = NONE
    this.prevIn[s] = NONE
  }

  /** Doubles every per-slot array. */
  private grow(): void {
    const size = this.cellOf.length * 2
    const widen = <A extends Int32Array | Float64Array>(a: A, make: (n: number) => A): A => {
      const out = make(size)
      out.set(a)
      return out
    }
    this.cellOf = widen(this.cellOf, n => new Int32Array(n))
    this.settled = widen(this.settled, n => new Float64Array(n))
    this.nextIn = widen(this.nextIn, n => new Int32Array(n))
    this.prevIn = widen(this.prevIn, n => new Int32Array(n))
    this.lastWrite = widen(this.lastWrite, n => new Float64Array(n))
  }
}
