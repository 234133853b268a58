// The requests one side has sent and awaits replies for, keyed by request id.
// Each entry settles exactly once: by its reply, its deadline, its caller's
// signal, or the link closing under it.

import { AbortedError, TimeoutError } from '../errors.js'
import { systemTimers, type TimerHandle, type Timers } from '../util/clock.js'
import { REQUEST_ID_MAX } from './constants.js'

interface Entry {
  resolve: (body: unknown) => void
  reject: (err: Error) => void
  timer: TimerHandle
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
  private nextId = 1

  constructor(private readonly timers: Timers = systemTimers) {}

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
      const timer = this.timers.setTimeout(() => {
        this.settle(id)?.reject(new TimeoutError(`request ${init.label} timed out after ${init.timeoutMs} ms`))
      }, init.timeoutMs)
      const signal = init.signal
      const onAbort = signal === undefined
        ? undefined
        : () => { this.settle(id)?.reject(new AbortedError(`request ${init.label} was aborted`, { cause: signal.reason })) }
      signal?.addEventListener('abort', onAbort!, { once: true })
      this.table.set(id, { resolve, reject, timer, signal, onAbort })
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
  }

  private settle(id: number): Entry | undefined {
    const entry = this.table.get(id)
    if (entry === undefined) return undefined
    this.table.delete(id)
    this.timers.clearTimeout(entry.timer)
    if (entry.onAbort !== undefined) entry.signal?.removeEventListener('abort', entry.onAbort)
    return entry
  }
}
