// When the start of an attempt goes to disk. An "all" attempt's start is
// written as it begins, and its commit may wait delayMs for other writes to
// share it (a peer runs every "all" task: one commit, and one sync to disk,
// each would be most of what a short one costs). An "any" attempt's only once
// it has run delayMs: a shorter one is written once, start and end together,
// which halves the writes of short tasks. Either way a handler that kills its
// peer within delayMs may leave no trace. If the peer dies before the start is
// on disk, the task is still pending (or marked running by an attempt that
// left no end) and runs again: at least once either way. A peer watching for
// crashes writes every start at once and waits for its commit. Starts that
// come due together go to the store in one merge, from one timer.
import type { Clock, TimerHandle, Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { TaskRecord } from './record.js'
import type { TaskStore } from './store.js'

/** An attempt as the runner tracks it: the record with its start, when it started, and its start's write once made. */
export interface Started {
  record: TaskRecord
  /** Monotonic ms at which the handler started. */
  startedMono: number
  /** The commit of the start record, once it has been written; never rejects. */
  started: Promise<void> | undefined
}

export interface StartWritesDeps {
  store: Pick<TaskStore, 'merge'>
  /** Spreads the records written. */
  spread: (records: TaskRecord[]) => void
  logger: Logger
  clock: Clock
  timers: Timers
  /** How long an "any" attempt runs before its start is written, and an "all" one's commit may wait (ms); 0: at once. */
  delayMs: number
}

export class StartWrites<E extends Started> {
  /** "any" attempts running whose start is not written yet. */
  private readonly unwritten = new Set<E>()
  private sweep: TimerHandle | undefined
  private stopped = false

  constructor(private readonly deps: StartWritesDeps) {}

  /**
   * An attempt has started. Its start is written: `now`, committed at once (await `e.started` for the commit);
   * `soon`, now, its commit free to wait up to the delay for others; `later`, once it has run the delay.
   */
  begin(e: E, when: 'now' | 'soon' | 'later'): void {
    if (when === 'now' || this.deps.delayMs === 0) return this.write([e], 0)
    if (when === 'soon') return this.write([e], this.deps.delayMs)
    this.unwritten.add(e)
    this.arm()
  }

  /** The attempt's handler is over: a start not written yet goes with the end's write. */
  end(e: E): void {
    this.unwritten.delete(e)
  }

  /** Writes no more starts (the end of each attempt still carries its start). */
  stop(): void {
    this.stopped = true
    if (this.sweep !== undefined) this.deps.timers.clearTimeout(this.sweep)
    this.sweep = undefined
  }

  /** One timer for the earliest unwritten start; when it fires, every start that has come due is written. */
  private arm(): void {
    if (this.sweep !== undefined || this.unwritten.size === 0 || this.stopped) return
    let first = Number.POSITIVE_INFINITY
    for (const e of this.unwritten) first = Math.min(first, e.startedMono)
    const waitMs = Math.max(0, first + this.deps.delayMs - this.deps.clock.now())
    this.sweep = this.deps.timers.setTimeout(() => {
      this.sweep = undefined
      const now = this.deps.clock.now()
      const due: E[] = []
      for (const e of this.unwritten) if (now - e.startedMono >= this.deps.delayMs) due.push(e)
      if (due.length > 0) this.write(due, 0)
      this.arm()
    }, waitMs)
  }

  private write(entries: E[], lazyMs: number): void {
    for (const e of entries) this.unwritten.delete(e)
    const records = entries.map(e => e.record)
    // Never rejects (a rejection could go unhandled while a long handler runs): a refused start (a full disk) is
    // logged; the attempt's end is written with its start either way, and that write's failure fails the attempt.
    const started = this.deps.store.merge(records, Number.POSITIVE_INFINITY, lazyMs).then(() => {}, (err: unknown) => {
      this.deps.logger.warn('could not record the start of task attempts', { ids: records.map(r => r.id), err: (err as Error).message })
    })
    for (const e of entries) e.started = started
    this.deps.spread(records)
  }
}
