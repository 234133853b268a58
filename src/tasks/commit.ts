// Group commit of the task store's writes. A write is queued under its key,
// newest value wins; the queue goes to lmdb at the end of the event-loop turn
// in one synchronous transaction, one put per key however often it changed.
// A lazy write (a copy whose commit nothing waits for) may wait up to its
// lazyMs for the next write to share a commit with.
// Until then the queued values are the newest state, which the store reads
// before lmdb's.
//
// The transaction runs on this thread with lmdb-js's putSync flags. Their
// NO_SYNC_FLUSH does not defer the flush where overlappingSync is on (lmdb-js's
// default off Windows, and ours): LMDB's commit then syncs the data file and
// writes the synced meta page before it returns, on this thread. So a commit is
// on disk once it resolves (an fdatasync per commit: see docs/performance.md,
// session 19); the store's flushed() still says so to whoever promises
// durability, whatever the environment's mode.
// lmdb-js's asynchronous puts cost more: a promise and an instruction per
// write, and every record waited for lmdb's thread, long enough for the
// young-generation GC to copy it (a queued drain on 3 peers: ~9% more CPU
// per task; docs/performance.md, session 18).
import { TransactionFlags, type Database } from 'lmdb'
import { UnavailableError } from '../errors.js'
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from '../util/clock.js'

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

/** A queued removal (a put is queued as its value alone: no wrapper object per write, its key built at the flush). */
class Removal {
  constructor(readonly key: RecordKey) {}
}

export class GroupCommit<V> {
  /** Writes not yet sent to lmdb, newest value per id (a Removal: removed). */
  private queued = new Map<string, V | Removal>()
  /** Settles when the queued writes have committed; undefined while none are queued. */
  private next: Batch | undefined
  private closed = false
  /** The timer of a queue of lazy writes only, and when it fires. */
  private lazy: { handle: TimerHandle, at: number } | undefined

  /** `stored`: the value lmdb gets for a queued one (its encoding's shape), under `keyOf`'s key; the clock and timers time lazy writes. */
  constructor(
    private readonly db: Database<unknown, RecordKey>,
    private readonly stored: (value: V) => unknown,
    private readonly keyOf: (value: V) => RecordKey,
    private readonly clock: Clock = systemClock,
    private readonly timers: Timers = systemTimers,
  ) {}

  /** Whether `id` has a write not yet committed; its value (undefined: removed) is then `pending(id)`. */
  has(id: string): boolean {
    return this.queued.has(id)
  }

  pending(id: string): V | undefined {
    const w = this.queued.get(id)
    return w instanceof Removal ? undefined : w
  }

  /** The newest value of every write not yet committed, by id (undefined: removed). */
  uncommitted(): Map<string, V | undefined> {
    const out = new Map<string, V | undefined>()
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
   * The commit the queued writes will be in; it runs at the end of this turn. With `lazyMs`, the caller's writes
   * need not commit soon: the commit waits up to that long unless a write that cannot wait comes first, and then
   * takes them along.
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
      setImmediate(() => { this.flush() })
    }
    if (!batch.armed) this.armLazy(batch.dueAt)
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
   * Refuses writes from now on and commits those already queued (lazy ones wait no longer): the lmdb environment
   * may close then (a write it received after closing would fail inside lmdb-js, out of anyone's reach).
   */
  async close(): Promise<void> {
    this.closed = true
    this.flush()
  }

  private flush(): void {
    const batch = this.next
    if (batch === undefined) return
    this.clearLazy()
    this.next = undefined
    const writes = this.queued
    this.queued = new Map()
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
}
