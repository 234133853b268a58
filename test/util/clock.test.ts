import { afterEach, describe, expect, it, vi } from 'vitest'
import { systemTimers, TIMER_MS_MAX } from '../../src/util/clock.js'
import { deadlineSignal } from '../../src/util/abort.js'

const DAY_MS = 24 * 3600 * 1000

afterEach(() => { vi.useRealTimers() })

describe('systemTimers', () => {
  // Node (and the fake timers, which copy it) fires a timer longer than 2^31 - 1 ms after 1 ms: a 30-day task
  // timeout would have ended every attempt at once.
  it('waits out a delay longer than setTimeout can hold, and no longer', () => {
    vi.useFakeTimers()
    const fired: string[] = []
    systemTimers.setTimeout(() => fired.push('30 days'), 30 * DAY_MS)
    systemTimers.setTimeout(() => fired.push('max'), TIMER_MS_MAX)
    vi.advanceTimersByTime(DAY_MS)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(TIMER_MS_MAX - DAY_MS)
    expect(fired).toEqual(['max'])
    vi.advanceTimersByTime(30 * DAY_MS - TIMER_MS_MAX - 1)
    expect(fired).toEqual(['max'])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual(['max', '30 days'])
  })

  it('clears a long timer at any of its steps', () => {
    vi.useFakeTimers()
    let fired = false
    const handle = systemTimers.setTimeout(() => { fired = true }, 60 * DAY_MS)
    vi.advanceTimersByTime(40 * DAY_MS)
    systemTimers.clearTimeout(handle)
    vi.advanceTimersByTime(40 * DAY_MS)
    expect(fired).toBe(false)
  })

  it('gives deadlineSignal a long deadline that does not abort early', () => {
    vi.useFakeTimers()
    const { signal, clear } = deadlineSignal(40 * DAY_MS)
    vi.advanceTimersByTime(39 * DAY_MS)
    expect(signal.aborted).toBe(false)
    vi.advanceTimersByTime(DAY_MS)
    expect(signal.aborted).toBe(true)
    clear()
  })
})
