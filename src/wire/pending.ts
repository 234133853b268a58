// The requests one side has sent and awaits replies for, keyed by request id.
// Each entry settles exactly once: by its reply, its deadline, its caller's
// signal, or the link closing under it.
//
// Deadlines cost one timer per table, not one per request. Requests usually
// arrive with non-decreasing deadlines (the same timeout, or what is left of
// one shared deadline); those join `queue`, which is ordered by deadline,
// and a single sweep timer is armed for the earliest of them. A request whose
// deadline is earlier than the last queued one gets a timer of its own, so
// every request still times out at its own deadline, never later. When the
// queue runs empty the sweep stays armed (it fires once more and finds
// nothing): at one request in flight, a timer set and cleared per request
// would cost more than that one late wake-up. A new request due before the
// armed sweep re-arms it.

import { AbortedError, TimeoutError } from '../errors.js'
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from '../util/clock.js'
import { REQUEST_ID_MAX } from './constants.js'

interface Entry {
  id: number
  resolve: (body: unknown) => void
  reject: (err: Error) => void
  /** Clock ms at which the request times out. */
  deadline: number
  timeoutMs: number
  label: string
  /** Only for a request not in `queue` (its deadline came out of order). */
  timer: TimerHandle | undefined
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

export interface PendingInit {
  timeoutMs: number
  signal?: AbortSignal
  /** Names the request in TimeoutError messages, e.g. `"lease/renew" to 12D3...`. */
  label: string
}

export class PendingRequests {
  private readonly table = new Map<number, Entry>()
  /** Entries timed by the sweep, in insertion order, which is also deadline order. */
  private readonly queue = new Map<number, Entry>()
  /** Deadline of the last entry that joined `queue` (entries later than it may join). */
  private queueTail = -Infinity
  /** Armed for the earliest deadline in `queue` (or an earlier one: it then re-arms). */
  private sweepTimer: TimerHandle | undefined
  /** Clock ms at which the armed sweep fires. */
  private sweepAt = Infinity
  private nextId = 1

  /** `onIdle` is called (synchronously, before the request's promise settles) whenever the last pending request settles, however it settles. */
  constructor(private readonly timers: Timers = systemTimers, private readonly clock: Clock = systemClock, private readonly onIdle?: () => void) {}

  get size(): number {
    return this.table.size
  }

  /** The next id not in use; ids wrap at REQUEST_ID_MAX. */
  allocateId(): number {
    for (;;) {
      const id = this.nextId
      this.nextId = id >= REQUEST_ID_MAX ? 1 : id + 1
      if (!this.table.has(id)) return id
    }
  }

  /** Registers a request whose frame is being sent; the promise settles exactly once. */
  add(id: number, init: PendingInit): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const deadline = this.clock.now() + init.timeoutMs
      const entry: Entry = { id, resolve, reject, deadline, timeoutMs: init.timeoutMs, label: init.label, timer: undefined, signal: init.signal, onAbort: undefined }
      if (deadline >= this.queueTail || this.queue.size === 0) {
        this.queueTail = deadline
        this.queue.set(id, entry)
        if (this.sweepTimer === undefined) this.armSweep(init.timeoutMs)
        else if (deadline < this.sweepAt) {
          this.timers.clearTimeout(this.sweepTimer)
          this.armSweep(init.timeoutMs)
        }
      } else {
        entry.timer = this.timers.setTimeout(() => { this.timeOut(entry) }, init.timeoutMs)
      }
      const signal = init.signal
      if (signal !== undefined) {
        entry.onAbort = () => { this.settle(id)?.reject(new AbortedError(`request ${init.label} was aborted`, { cause: signal.reason })) }
        signal.addEventListener('abort', entry.onAbort, { once: true })
      }
      this.table.set(id, entry)
    })
  }

  resolve(id: number, body: unknown): boolean {
    const entry = this.settle(id)
    entry?.resolve(body)
    return entry !== undefined
  }

  reject(id: number, err: Error): boolean {
    const entry = this.settle(id)
    entry?.reject(err)
    return entry !== undefined
  }

  /** Rejects every pending request at once (the link closed). */
  rejectAll(err: Error): void {
    for (const id of [...this.table.keys()]) this.reject(id, err)
    if (this.sweepTimer !== undefined) {
      this.timers.clearTimeout(this.sweepTimer)
      this.sweepTimer = undefined
    }
  }

  private timeOut(entry: Entry): void {
    if (this.table.get(entry.id) !== entry) return
    this.settle(entry.id)?.reject(new TimeoutError(`request ${entry.label} timed out after ${entry.timeoutMs} ms`))
  }

  private armSweep(ms: number): void {
    this.sweepAt = this.clock.now() + ms
    this.sweepTimer = this.timers.setTimeout(() => { this.sweep() }, Math.max(0, ms))
  }

  /** Times out every queued request whose deadline has passed, then waits for the next one. */
  private sweep(): void {
    this.sweepTimer = undefined
    this.sweepAt = Infinity
    const now = this.clock.now()
    for (const entry of this.queue.values()) {
      // A timer may fire a little before the clock reaches its deadline: the entry waits for the next sweep.
      if (entry.deadline > now) return this.armSweep(entry.deadline - now)
      this.timeOut(entry)
    }
  }

  private settle(id: number): Entry | undefined {
    const entry = this.table.get(id)
    if (entry === undefined) return undefined
    this.table.delete(id)
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer)
    else this.queue.delete(id)
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort)
    if (this.table.size === 0) this.onIdle?.()
    return entry
  }
}
