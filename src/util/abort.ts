import { setMaxListeners } from 'node:events'
import { systemTimers } from './clock.js'
// Cancellation helpers: every async public method takes `{ signal }` and a
// deadline; these merge them and make sure timers are cleared.

export interface AbortOptions {
  signal?: AbortSignal
}

/** A signal that aborts when any input aborts, or after `timeoutMs`. Call `clear()` in `finally`. */
export function deadlineSignal(timeoutMs: number | undefined, ...signals: Array<AbortSignal | undefined>): { signal: AbortSignal, clear: () => void } {
  const controller = new AbortController()
  const cleanups: Array<() => void> = []
  const abort = (reason: unknown): void => {
    if (!controller.signal.aborted) controller.abort(reason)
  }
  for (const s of signals) {
    if (s === undefined) continue
    if (s.aborted) {
      abort(s.reason)
      break
    }
    const onAbort = (): void => abort(s.reason)
    s.addEventListener('abort', onAbort, { once: true })
    cleanups.push(() => s.removeEventListener('abort', onAbort))
  }
  if (timeoutMs !== undefined && Number.isFinite(timeoutMs) && !controller.signal.aborted) {
    // systemTimers: unref'd, and a deadline past setTimeout's ~24.8 days waits, rather than firing at once.
    const timer = systemTimers.setTimeout(() => abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs)
    cleanups.push(() => systemTimers.clearTimeout(timer))
  }
  return {
    signal: controller.signal,
    clear: () => { for (const c of cleanups) c() },
  }
}

/** Rejects with the signal's reason when it aborts. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw signal.reason ?? new DOMException('aborted', 'AbortError')
}

/**
 * Operations that may run at once under one long-lived signal (a component's
 * shutdown scope): each adds an abort listener while it runs and removes it
 * when it ends. Node warns past 10, which is normal concurrency here, not a leak.
 */
export const SCOPE_LISTENERS_MAX = 100_000

/** An AbortController for a component's lifetime, shared by many concurrent operations. */
export function scopeController(): AbortController {
  const controller = new AbortController()
  setMaxListeners(SCOPE_LISTENERS_MAX, controller.signal)
  return controller
}

/**
 * An AbortController whose signal is made when first read: most task attempts end without anyone reading it, and
 * an AbortSignal (an EventTarget) is among the costlier objects to make. Aborting before the first read is kept
 * and shown by the signal when it is made.
 */
export class LazyAbortController {
  private controller: AbortController | undefined
  private abortedWith: { reason: unknown } | undefined

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.abortedWith !== undefined) this.controller.abort(this.abortedWith.reason)
    }
    return this.controller.signal
  }

  get aborted(): boolean {
    return this.abortedWith !== undefined
  }

  /** The abort reason, undefined until aborted. */
  get reason(): unknown {
    return this.abortedWith?.reason
  }

  abort(reason?: unknown): void {
    if (this.abortedWith !== undefined) return
    this.abortedWith = { reason: reason ?? new DOMException('This operation was aborted', 'AbortError') }
    this.controller?.abort(this.abortedWith.reason)
  }
}
