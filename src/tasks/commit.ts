// Group commit of the task store's writes. A write is queued under its key,
// newest value wins; the queue goes to lmdb at the end of the event-loop turn,
// one put per key however often it changed. A lazy write (a copy whose commit
// nothing waits for) may wait up to its lazyMs for the next write to share a
// commit with. Until then the queued (and committing) values are the newest
// state, which the store reads before lmdb's.
//
// Two ways to make a commit:
// - inline: one synchronous transaction on this thread with lmdb-js's putSync
//   flags. Their NO_SYNC_FLUSH does not defer the flush where overlappingSync
//   is on (lmdb-js's default off Windows, and ours): LMDB's commit syncs the
//   data file and writes the synced meta page before it returns. So the commit
//   is on disk once it resolves, and the event loop waits for that sync
//   (docs/limits.md, "task store commit"). The cheapest in CPU: no promise per
//   write, and a record dies young.
// - in the background: asynchronous puts, committed and synced on lmdb's
//   thread, one commit at a time (writes made meanwhile go in the next). The
//   event loop never waits for the disk, for more CPU per write (records live
//   until lmdb's thread has committed them, long enough for the young-generation
//   GC to copy them). A commit is visible, and survives the process, once it
//   resolves; on disk once the store's flushed() says so.
// The peer's `tasks.storeCommit` (`CommitMode`) picks: 'auto' (the default)
// makes a commit of at most SMALL_COMMIT_WRITES writes in the background and a
// larger one inline, so a light load's commits never hold the loop for their
// sync and a drain's stay cheap; 'inline' makes every commit inline;
// 'background' every commit in the background (~18% more CPU per task
// draining a queued backlog on 3 peers than inline, session 19; for disks
// whose fdatasync is slow). Commits are made one at a time, in order,
// whichever way each goes. Either way whoever promises durability (a
// replica's ack) waits for flushed().
import { TransactionFlags, type Database } from 'lmdb'
import { UnavailableError } from '../errors.js'
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from '../util/clock.js'
import { describeValue } from '../util/describe.js'
import { COMMIT_MODES, SMALL_COMMIT_WRITES, type CommitMode } from './constants.js'

interface Batch {
  promise: Promise<void>
  resolve: () => void
  reject: (err: unknown) => void
  /** Its flush is due at the end of the turn (a write that cannot wait is in it). */
  armed: boolean
  /** Lazy writes only: its flush is due then (monotonic ms) at the latest. */
  dueAt: number
}

/** lmdb-js's flags for a synchronous transaction (those of its putSync); with overlappingSync the commit still syncs before it returns. */
const SYNC_TXN_FLAGS = (TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH) as TransactionFlags

/** Key of a task record in lmdb: [partition, id]. */
export type RecordKey = [number, string]

export { COMMIT_MODES, type CommitMode } from './constants.js'

/** A queued removal (a put is queued as its value alone: no wrapper object per write, its key built at the flush). */
class Removal {
  constructor(readonly key: RecordKey) {}
}

const NOTHING_COMMITTING: ReadonlyMap<string, never> = new Map<string, never>()

export class GroupCommit<V> {
  /** Writes not yet sent to lmdb, newest value per id (a Removal: removed). */
  private queued = new Map<string, V | Removal>()
  /** The writes of the commit under way on lmdb's thread. */
  private committing: ReadonlyMap<string, V | Removal> = NOTHING_COMMITTING
  /** A commit is under way on lmdb's thread; the next flush waits for it. */
  private flushing = false
  /** Settles when the queued writes have committed; undefined while none are queued. */
  private next: Batch | undefined
  private closed = false
  /** Called when the last commit on lmdb's thread has ended and nothing is queued (close waits for it). */
  private idleWaiters: Array<() => void> = []
  /** The timer of a queue of lazy writes only, and when it fires. */
  private lazy: { handle: TimerHandle, at: number } | undefined

  /** `stored`: the value lmdb gets for a queued one (its encoding's shape), under `keyOf`'s key; the clock and timers time lazy writes. */
  constructor(
    private readonly db: Database<unknown, RecordKey>,
    private readonly stored: (value: V) => unknown,
    private readonly keyOf: (value: V) => RecordKey,
    private readonly clock: Clock = systemClock,
    private readonly timers: Timers = systemTimers,
    private readonly mode: CommitMode = 'auto',
  ) {
    if (!COMMIT_MODES.includes(mode)) throw new Error(`unknown commit mode ${describeValue(mode)}`)
  }

  /** Whether `id` has a write not yet committed; its value (undefined: removed) is then `pending(id)`. */
  has(id: string): boolean {
    return this.queued.has(id) || (this.flushing && this.committing.has(id))
  }

  pending(id: string): V | undefined {
    // The commit under way is looked at only while there is one: no second lookup on the inline path.
    const w = this.queued.get(id) ?? (this.flushing ? this.committing.get(id) : undefined)
    return w instanceof Removal ? undefined : w
  }

  /** The newest value of every write not yet committed, by id (undefined: removed). */
  uncommitted(): Map<string, V | undefined> {
    const out = new Map<string, V | undefined>()
    for (const [id, w] of this.committing) out.set(id, w instanceof Removal ? undefined : w)
    for (const [id, w] of this.queued) out.set(id, w instanceof Removal ? undefined : w)
    return out
  }

  /** Throws UnavailableError once closed: check before changing anything a refused write would leave changed. */
  check(): void {
    if (this.closed) throw new UnavailableError('the task store is closed')
  }

  /** Queues the write of `value` under its id. */
  put(id: string, value: V): void {
    this.queued.set(id, value)
  }

  /** Queues the removal of the value under `key`. */
  remove(key: RecordKey): void {
    this.queued.set(key[1], new Removal(key))
  }

  /**
   * The commit the queued writes will be in; it runs at the end of this turn (or when the commit under way on lmdb's
   * thread ends, if later). With `lazyMs`, the caller's writes need not commit soon: the commit waits up to that long
   * unless a write that cannot wait comes first, and then takes them along.
   */
  committed(lazyMs = 0): Promise<void> {
    let batch = this.next
    if (batch === undefined) {
      let resolve!: () => void
      let reject!: (err: unknown) => void
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej })
      batch = this.next = { promise, resolve, reject, armed: false, dueAt: Number.POSITIVE_INFINITY }
    }
    if (lazyMs > 0) batch.dueAt = Math.min(batch.dueAt, this.clock.now() + lazyMs)
    else if (!batch.armed) {
      batch.armed = true
      this.clearLazy()
      // While a commit is under way on lmdb's thread, its end starts the next.
      if (!this.flushing) setImmediate(() => { this.flush() })
    }
    if (!batch.armed && !this.flushing) this.armLazy(batch.dueAt)
    return batch.promise
  }

  /** A batch of lazy writes only: its flush at `dueAt` (monotonic ms) at the latest. */
  private armLazy(dueAt: number): void {
    if (this.lazy !== undefined && this.lazy.at <= dueAt) return
    this.clearLazy()
    this.lazy = { handle: this.timers.setTimeout(() => { this.lazy = undefined; this.flush() }, Math.max(0, dueAt - this.clock.now())), at: dueAt }
  }

  private clearLazy(): void {
    if (this.lazy !== undefined) this.timers.clearTimeout(this.lazy.handle)
    this.lazy = undefined
  }

  /**
   * Refuses writes from now on and resolves once those already queued have committed (lazy ones wait no longer): the
   * lmdb environment may close then (a write it received after closing would fail inside lmdb-js, out of anyone's reach).
   */
  async close(): Promise<void> {
    this.closed = true
    this.flush()
    if (!this.flushing) return
    await new Promise<void>((resolve) => { this.idleWaiters.push(resolve) })
  }

  private flush(): void {
    const batch = this.next
    if (batch === undefined || this.flushing) return
    this.clearLazy()
    this.next = undefined
    const writes = this.queued
    this.queued = new Map()
    if (this.mode === 'background' || (this.mode === 'auto' && writes.size <= SMALL_COMMIT_WRITES)) return this.flushBackground(writes, batch)
    try {
      this.db.transactionSync(() => {
        for (const w of writes.values()) {
          if (w instanceof Removal) void this.db.remove(w.key)
          else void this.db.put(this.keyOf(w), this.stored(w))
        }
      }, SYNC_TXN_FLAGS)
    } catch (err) {
      batch.reject(err)
      return
    }
    batch.resolve()
  }

  /** Puts that lmdb's thread commits (one commit for the lot, their promises settling in order). */
  private flushBackground(writes: Map<string, V | Removal>, batch: Batch): void {
    this.flushing = true
    this.committing = writes
    const done = (err?: unknown): void => {
      this.committing = NOTHING_COMMITTING
      this.flushing = false
      if (err === undefined) batch.resolve()
      else batch.reject(err)
      const next = this.next
      if (next !== undefined && (next.armed || this.closed)) this.flush()
      else if (next !== undefined) this.armLazy(next.dueAt)
      // Idle: nothing queued and no commit under way ('auto' may have made the next one inline, just now).
      if (this.next === undefined && !this.flushing) for (const wake of this.idleWaiters.splice(0)) wake()
    }
    // Plain puts, not a transaction callback: lmdb-js gathers them into its next commit without a turn of this
    // thread in between, and the puts of one of its commits share one promise. Every distinct promise is awaited,
    // so that a failed commit fails this batch (and no rejection goes unhandled) even if lmdb-js split the puts.
    const commits: Array<Promise<unknown>> = []
    try {
      for (const w of writes.values()) {
        const p = w instanceof Removal ? this.db.remove(w.key) : this.db.put(this.keyOf(w), this.stored(w))
        if (commits[commits.length - 1] !== p) commits.push(p)
      }
    } catch (err) {
      void Promise.allSettled(commits)
      done(err)
      return
    }
    void Promise.all(commits).then(() => { done() }, done)
  }
}
