// A fake clock and timers for code that takes them as components: nothing
// fires until a test advances time, and timers fire in due order.

import type { Clock, TimerHandle, Timers, WallClock } from '../../src/util/clock.js'

export interface FakeTime {
  clock: Clock & WallClock
  timers: Timers
  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void
  /** Timers not yet fired. */
  pending(): number
}

/** `wallNow` reads `wallStart + now`. */
export function fakeTime(wallStart = 1_000_000): FakeTime {
  let now = 0
  let next = 0
  const due = new Map<number, { at: number, fn: () => void }>()
  return {
    clock: { now: () => now, wallNow: () => wallStart + now },
    timers: {
      setTimeout(fn, ms) { const id = next++; due.set(id, { at: now + ms, fn }); return { id } },
      clearTimeout(h: TimerHandle) { due.delete(h.id as number) },
    },
    advance(ms) {
      const end = now + ms
      for (;;) {
        const [id, t] = [...due].sort((a, b) => a[1].at - b[1].at)[0] ?? []
        if (t === undefined || t.at > end) break
        now = t.at
        due.delete(id!)
        t.fn()
      }
      now = end
    },
    pending: () => due.size,
  }
}
