// Waiting on real peers: look every few milliseconds until a probe answers,
// a deadline passes or the caller aborts. Test helpers run against real
// networks on the real clock, so this is the one place they sleep.

import { AbortedError, TimeoutError } from '../errors.js'
import { POLL_INTERVAL_MS } from './constants.js'

export interface PollOptions {
  /** What is awaited, for the error message: "task mail.send (abc) to finish". */
  what: string
  timeoutMs: number
  everyMs?: number
  signal?: AbortSignal
}

/** Resolves with the probe's first answer other than `undefined`; rejects with TimeoutError or AbortedError. */
export async function poll<T>(probe: () => T | undefined, options: PollOptions): Promise<T> {
  const deadline = performance.now() + options.timeoutMs
  for (;;) {
    if (options.signal?.aborted === true) throw new AbortedError(`aborted while waiting for ${options.what}`, { cause: options.signal.reason })
    const value = probe()
    if (value !== undefined) return value
    if (performance.now() >= deadline) throw new TimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`)
    await sleep(options.everyMs ?? POLL_INTERVAL_MS, options.signal)
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
