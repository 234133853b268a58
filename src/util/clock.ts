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

export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const id = setTimeout(fn, ms)
    id.unref?.()
    return { id }
  },
  clearTimeout(handle) {
    clearTimeout(handle.id as NodeJS.Timeout)
  },
}
