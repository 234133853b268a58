// Tells once when a started peer first gets busy: the end of its idle V8
// flags (TROUPE_V8_IDLE_FLAGS, v8-flags.ts; docs/limits.md, "Memory").
//
// An idle peer's event loop is busy ~0.3-1% of the time (lease and membership
// timers), with single moments up to ~10% of a 250 ms window on a loaded
// machine; load makes it busy most of the time. Each check compares the
// event-loop utilization since the previous one with IDLE_BUSY_MIN; the first
// check at or above it calls onBusy and the watch ends.
import { performance } from 'node:perf_hooks'

/** How often the event loop's utilization is checked. */
export const IDLE_CHECK_MS = 500

/** Event-loop utilization (0..1) over one check at or above which the peer counts as busy. */
export const IDLE_BUSY_MIN = 0.25

export interface BusyWatchOptions {
  onBusy: () => void
  intervalMs?: number
  busyMin?: number
  /** Starts a measurement: the returned function gives the utilization since (default performance.eventLoopUtilization). */
  utilization?: () => () => number
  setInterval?: (fn: () => void, ms: number) => unknown
  clearInterval?: (timer: unknown) => void
  signal?: AbortSignal
}

function eventLoopUtilizationSince(): () => number {
  const start = performance.eventLoopUtilization()
  return () => performance.eventLoopUtilization(start).utilization
}

/** Watches until the first busy check (an unref'd interval: it never keeps the process alive); ends early on abort. */
export function watchUntilBusy(options: BusyWatchOptions): void {
  const { onBusy, intervalMs = IDLE_CHECK_MS, busyMin = IDLE_BUSY_MIN, utilization = eventLoopUtilizationSince, signal } = options
  const every = options.setInterval ?? setInterval
  const stop = options.clearInterval ?? ((t: unknown) => { clearInterval(t as NodeJS.Timeout) })
  if (signal?.aborted === true) return
  let since = utilization()
  const timer = every(() => {
    if (signal?.aborted === true) { stop(timer); return }
    const busy = since() >= busyMin
    since = utilization()
    if (!busy) return
    stop(timer)
    onBusy()
  }, intervalMs)
  ;(timer as { unref?: () => unknown }).unref?.()
  signal?.addEventListener('abort', () => { stop(timer) }, { once: true })
}
