// Time as protocol code sees it. Protocol logic never reads the system clock
// or sets timers itself: it is handed a Clock, so a simulator can drive many
// nodes on virtual time with drift, and any run replays from its seed.

/** A monotonic clock in milliseconds. Values from different processes on one host are comparable (CLOCK_MONOTONIC). */
export interface Clock {
  /** Monotonic milliseconds; never goes backwards. */
  now(): number
}

/** Wall-clock time, for display and for records meant for people (never for timeouts). */
export interface WallClock {
  wallNow(): number
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

export interface TimerHandle {
  readonly id: unknown
}

/** The process's monotonic clock: `performance.timeOrigin + performance.now()` shares CLOCK_MONOTONIC's rate. */
export const systemClock: Clock & WallClock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
}

/** The longest wait Node's setTimeout honours (2^31 - 1 ms, ~24.8 days): it fires a longer one after 1 ms. */
export const TIMER_MS_MAX = 2_147_483_647

/** A timer armed in steps of at most TIMER_MS_MAX; `id` is the step armed now. */
interface SteppedTimer {
  id: NodeJS.Timeout
}

/**
 * Unref'd timers. A wait longer than TIMER_MS_MAX (a task or call timeout of a month) is armed in steps against
 * the monotonic clock, rather than fired at once as Node would.
 */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    if (!(ms > TIMER_MS_MAX)) {
      const id = setTimeout(fn, ms)
      id.unref?.()
      return { id }
    }
    const dueAt = performance.now() + ms
    const handle = {} as SteppedTimer
    const step = (): void => {
      const left = dueAt - performance.now()
      handle.id = left > TIMER_MS_MAX ? setTimeout(step, TIMER_MS_MAX) : setTimeout(fn, Math.max(0, left))
      handle.id.unref?.()
    }
    step()
    return handle
  },
  clearTimeout(handle) {
    clearTimeout(handle.id as NodeJS.Timeout)
  },
}

/** Resolves after `ms` on `timers`, or at once when `signal` aborts (never rejects: the caller looks at the signal). */
export function pause(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      timers.clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = timers.setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
