// The index of "any" tasks this peer might start: two heaps (not yet due, by
// runAt; due, best first as compareDue orders them) and the entries of
// partitions this peer does not hold, parked by partition. Each task has at
// most one live entry (a newer put supersedes the older, which is dropped
// lazily when it surfaces), so a start costs O(log n) instead of a scan of
// every open record. Pure: the caller says what is held, running and current.
import type { TaskRecord } from './record.js'

/** Parked partitions are looked at again at least this often (a lease can lapse and come back without an event). */
export const PARKED_RECHECK_MS = 100

/** An index entry; its order keys are copied out of the record, so the heaps compare one shape of object (records come in several). */
class Entry {
  readonly priority: number
  readonly runAt: number
  readonly createdAt: number
  readonly id: string
  constructor(readonly record: TaskRecord, readonly seq: number) {
    this.priority = record.priority
    this.runAt = record.runAt
    this.createdAt = record.createdAt
    this.id = record.id
  }
}

/** compareDue's order over entries. */
function compareEntries(a: Entry, b: Entry): number {
  return (b.priority - a.priority) || (a.runAt - b.runAt) || (a.createdAt - b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** What the caller knows of a record it indexes: the wall clock, and whether this peer holds its partition at all. */
export interface PutHint {
  now: number
  held: boolean
}

/** What the caller makes of an entry that surfaced: start it, park it (partition not held), wait (not due yet) or drop it. */
export type Verdict = 'start' | 'park' | 'wait' | 'drop'

export interface TakeContext {
  /** Wall ms. */
  now: number
  /** Monotonic ms, for the recheck of parked partitions. */
  mono: number
  holds(partition: number): boolean
  /** Is the partition this peer's, even if it may not start tasks in it right now (warming, grant about to be renewed)? Parked tasks of such partitions ask for a recheck. */
  mine?(partition: number): boolean
  /** The record to judge now: the store's newest copy, or the entry's own when the store has none yet. */
  current(entry: TaskRecord): TaskRecord | undefined
  /** Judges a current record: 'start' only if this peer may run it now. */
  judge(r: TaskRecord): Verdict
}

/** Could this "any" record run somewhere (pending or running, not deleted)? Others never enter the index. */
export function indexable(r: TaskRecord): boolean {
  return r.scope === 'any' && !r.deleted && (r.state === 'pending' || r.state === 'running')
}

export class DueIndex {
  private readonly live = new Map<string, number>()
  private readonly waiting = new Heap<Entry>((a, b) => (a.runAt - b.runAt) || compareEntries(a, b))
  private readonly due = new Heap<Entry>(compareEntries)
  private readonly parked = new Map<number, Entry[]>()
  private parkedCount = 0
  private seq = 0
  private parkedCheckedAt = Number.NEGATIVE_INFINITY
  private recheck = false

  /** Live entries (tasks indexed). */
  get size(): number {
    return this.live.size
  }

  /**
   * Indexes `r` (replacing its previous entry), or forgets its task if it cannot run. With a `hint`, an entry of a
   * partition not held here is parked at once and one already due goes straight to the due heap (the next take
   * would move them there anyway).
   */
  put(r: TaskRecord, hint?: PutHint): void {
    if (!indexable(r)) {
      this.live.delete(r.id)
      return
    }
    const e = new Entry(r, ++this.seq)
    this.live.set(r.id, e.seq)
    if (hint === undefined) this.waiting.push(e)
    else if (!hint.held) this.park(r.partition, e)
    else if (r.runAt <= hint.now) this.due.push(e)
    else this.waiting.push(e)
  }

  private park(partition: number, e: Entry): void {
    const list = this.parked.get(partition)
    if (list === undefined) this.parked.set(partition, [e])
    else list.push(e)
    this.parkedCount++
  }

  forget(id: string): void {
    this.live.delete(id)
  }

  /** Parked partitions may be held now: look at them on the next take. */
  touch(): void {
    this.parkedCheckedAt = Number.NEGATIVE_INFINITY
  }

  /** Up to `slots` records to start now, best first; entries of partitions not held are parked. */
  take(ctx: TakeContext, slots: number): TaskRecord[] {
    this.recheck = false
    if (ctx.mono - this.parkedCheckedAt >= PARKED_RECHECK_MS) this.unpark(ctx)
    for (let top = this.waiting.peek(); top !== undefined && top.record.runAt <= ctx.now; top = this.waiting.peek()) this.due.push(this.waiting.pop() as Entry)
    const out: TaskRecord[] = []
    const later: Entry[] = []
    while (out.length < slots) {
      const e = this.due.pop()
      if (e === undefined) break
      if (this.live.get(e.record.id) !== e.seq) continue
      const r = ctx.current(e.record)
      const verdict = r === undefined ? 'drop' : ctx.judge(r)
      if (r === undefined || verdict === 'drop') {
        this.live.delete(e.record.id)
      } else if (verdict === 'park') {
        this.park(r.partition, r === e.record ? e : new Entry(r, e.seq))
        if (ctx.mine?.(r.partition) === true) this.recheck = true
      } else if (verdict === 'wait') {
        later.push(r === e.record ? e : new Entry(r, e.seq))
      } else {
        this.live.delete(e.record.id)
        out.push(r)
      }
    }
    for (const e of later) this.waiting.push(e)
    return out
  }

  /** True when the last take parked tasks of a partition that is this peer's but not startable yet: look again in PARKED_RECHECK_MS. */
  get wantsRecheck(): boolean {
    return this.recheck
  }

  /** The earliest runAt (wall ms) of an entry not yet due. */
  wakeAt(): number | undefined {
    return this.waiting.peek()?.record.runAt
  }

  private unpark(ctx: TakeContext): void {
    this.parkedCheckedAt = ctx.mono
    // Parked entries of tasks finished or superseded meanwhile are pruned once they outnumber the live ones.
    const prune = this.parkedCount > 2 * this.live.size + 64
    for (const [p, list] of this.parked) {
      if (ctx.holds(p)) {
        this.parked.delete(p)
        this.parkedCount -= list.length
        for (const e of list) if (this.live.get(e.record.id) === e.seq) this.waiting.push(e)
      } else if (ctx.mine?.(p) === true) {
        this.recheck = true
      } else if (prune) {
        const kept = list.filter(e => this.live.get(e.record.id) === e.seq)
        this.parkedCount -= list.length - kept.length
        if (kept.length === 0) this.parked.delete(p)
        else this.parked.set(p, kept)
      }
    }
  }
}

/** A binary min-heap under `less`-style comparator (negative: a first). */
export class Heap<T> {
  private readonly items: T[] = []

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  // Both sifts move a hole instead of swapping: one write per level, and the moving item is read once.
  push(x: T): void {
    const a = this.items
    const compare = this.compare
    let i = a.length
    a.push(x)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = a[parent] as T
      if (compare(x, p) >= 0) break
      a[i] = p
      i = parent
    }
    a[i] = x
  }

  pop(): T | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    const n = a.length
    if (n === 0 || last === undefined) return top
    const compare = this.compare
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let m = l
      let child = a[l] as T
      if (r < n) {
        const right = a[r] as T
        if (compare(right, child) < 0) {
          m = r
          child = right
        }
      }
      if (compare(child, last) >= 0) break
      a[i] = child
      i = m
    }
    a[i] = last
    return top
  }
}
