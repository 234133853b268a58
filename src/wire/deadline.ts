// Waiting on a shared promise (a dial several callers wait for) with each
// caller's own deadline and signal, without cancelling it for the others.

import { AbortedError, TimeoutError } from '../errors.js'
import { systemTimers, type Timers } from '../util/clock.js'

export function raceDeadline<T>(promise: Promise<T>, timeoutMs: number, signal: AbortSignal | undefined, label: string, timers: Timers = systemTimers): Promise<T> {
  if (signal?.aborted === true) return Promise.reject(new AbortedError(`${label} was aborted`, { cause: signal.reason }))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      cleanup()
      reject(new AbortedError(`${label} was aborted`, { cause: signal?.reason }))
    }
    const timer = timers.setTimeout(() => {
      cleanup()
      reject(new TimeoutError(`${label} timed out after ${timeoutMs} ms`))
    }, timeoutMs)
    const cleanup = (): void => {
      timers.clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => { cleanup(); resolve(value) },
      (err: unknown) => { cleanup(); reject(err) },
    )
  })
}

/** Throws AbortedError if the signal has already fired. */
export function checkSignal(signal: AbortSignal | undefined, label: string): void {
  if (signal?.aborted === true) throw new AbortedError(`${label} was aborted`, { cause: signal.reason })
}
