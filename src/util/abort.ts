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
    const timer = setTimeout(() => abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs)
    timer.unref?.()
    cleanups.push(() => clearTimeout(timer))
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
