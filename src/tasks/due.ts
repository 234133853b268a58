// The index of "any" tasks this peer might start: two heaps (not yet due, by
// runAt; due, best first as compareDue orders them) and the entries of
// partitions this peer does not hold, parked by partition. Each task has at
// most one live entry (a newer put supersedes the older, which is dropped
// lazily when it surfaces), so a start costs O(log n) instead of a scan of
// every open record. Pure: the caller says what is held, running and current.
import { Heap } from '../util/heap.js'
import type { TaskRecord } from './record.js'

/** Parked partitions are looked at again at least this often (a lease can lapse and come back without an event). */
export const PARKED_RECHECK_MS = 100

/** Where an entry is: in the heap of tasks not yet due, in the due heap, parked, or out of all three (being judged). */
const WAITING = 0
const DUE = 1
const PARKED = 2
const OUT = 3

/**
 * An index entry; its order keys are copied out of the record, so the heaps compare one shape of object (records
 * come in several). A newer copy of its task with the same keys takes its place in the entry (`record`), so a task
 * that is put again (received, then committed, then changed) does not leave stale entries to pop and compare.
 */
class Entry {
  readonly priority: number
  readonly runAt: number
  readonly createdAt: number
  readonly id: string
  /** The id's first 21 UTF-16 units as three numbers in the same order (idKeys): most ties break without a string compare. */
  readonly k1: number
  readonly k2: number
  readonly k3: number
  where = OUT
  constructor(public record: TaskRecord) {
    this.priority = record.priority
    this.runAt = record.runAt
    this.createdAt = record.createdAt
    this.id = record.id
    const [k1, k2, k3] = idKeys(this.id)
    this.k1 = k1
    this.k2 = k2
    this.k3 = k3
  }

  /** Does `r` sort where this entry does? */
  sameKeys(r: TaskRecord): boolean {
    return r.priority === this.priority && r.runAt === this.runAt && r.createdAt === this.createdAt
  }
}

/** UTF-16 units per id key: 129^7 < 2^53, so a key is an exact integer. */
const ID_KEY_UNITS = 7

/**
 * The id's first 3 x 7 UTF-16 units as three numbers (idKeys), ordered as the ids are. A unit past the end is 0,
 * one below 127 is 1 + its code, the first one of 127 or more is 128 and every unit after it 0: two keys can then
 * be equal for different ids, never out of order, and equal keys fall back to the string compare.
 */
function idKeys(id: string): [number, number, number] {
  const keys: [number, number, number] = [0, 0, 0]
  let capped = false
  for (let i = 0; i < 3 * ID_KEY_UNITS; i++) {
    let unit = 0
    if (!capped && i < id.length) {
      const c = id.charCodeAt(i)
      capped = c >= 127
      unit = capped ? 128 : c + 1
    }
    const k = (i / ID_KEY_UNITS) | 0
    keys[k] = (keys[k] as number) * 129 + unit
  }
  return keys
}

/** compareDue's order over entries (tasks enqueued together tie up to the id, so the id's order comes from its keys first). */
function compareEntries(a: Entry, b: Entry): number {
  return (b.priority - a.priority) || (a.runAt - b.runAt) || (a.createdAt - b.createdAt) || (a.k1 - b.k1) || (a.k2 - b.k2) || (a.k3 - b.k3)
    || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
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
  /** The live entry of each task indexed; entries in the heaps or parked lists that are not it are stale. */
  private readonly live = new Map<string, Entry>()
  private readonly waiting = new Heap<Entry>((a, b) => (a.runAt - b.runAt) || compareEntries(a, b))
  private readonly due = new Heap<Entry>(compareEntries)
  private readonly parked = new Map<number, Entry[]>()
  private parkedCount = 0
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
    const old = this.live.get(r.id)
    // The same keys: the entry takes the newer copy where it is (in a heap, where `r` would go; parked, if `r` would be).
    if (old !== undefined && old.sameKeys(r) && (old.where !== PARKED || hint?.held === false)) {
      old.record = r
      return
    }
    const e = new Entry(r)
    this.live.set(r.id, e)
    if (hint === undefined) this.toWaiting(e)
    else if (!hint.held) this.park(r.partition, e)
    else if (r.runAt <= hint.now) this.toDue(e)
    else this.toWaiting(e)
  }

  private toWaiting(e: Entry): void {
    e.where = WAITING
    this.waiting.push(e)
  }

  private toDue(e: Entry): void {
    e.where = DUE
    this.due.push(e)
  }

  /** The entry of `r` (popped as `e`, live): `e` itself holding `r` if the keys match, else a new live entry. */
  private renew(e: Entry, r: TaskRecord): Entry {
    if (r === e.record) return e
    if (e.sameKeys(r)) {
      e.record = r
      return e
    }
    const next = new Entry(r)
    this.live.set(r.id, next)
    return next
  }

  private park(partition: number, e: Entry): void {
    e.where = PARKED
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
    for (let top = this.waiting.peek(); top !== undefined && top.record.runAt <= ctx.now; top = this.waiting.peek()) this.toDue(this.waiting.pop() as Entry)
    const out: TaskRecord[] = []
    const later: Entry[] = []
    while (out.length < slots) {
      const e = this.due.pop()
      if (e === undefined) break
      if (this.live.get(e.id) !== e) continue
      e.where = OUT
      const r = ctx.current(e.record)
      const verdict = r === undefined ? 'drop' : ctx.judge(r)
      if (r === undefined || verdict === 'drop') {
        this.live.delete(e.id)
      } else if (verdict === 'park') {
        this.park(r.partition, this.renew(e, r))
        if (ctx.mine?.(r.partition) === true) this.recheck = true
      } else if (verdict === 'wait') {
        later.push(this.renew(e, r))
      } else {
        this.live.delete(e.id)
        out.push(r)
      }
    }
    for (const e of later) this.toWaiting(e)
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
        for (const e of list) if (this.live.get(e.id) === e) this.toWaiting(e)
      } else if (ctx.mine?.(p) === true) {
        this.recheck = true
      } else if (prune) {
        const kept = list.filter(e => this.live.get(e.id) === e)
        this.parkedCount -= list.length - kept.length
        if (kept.length === 0) this.parked.delete(p)
        else this.parked.set(p, kept)
      }
    }
  }
}
