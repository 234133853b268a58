import { getHeapCodeStatistics, getHeapSpaceStatistics } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { collectGarbageReducingMemory, scheduleStartupGc, STARTUP_GC_BUSY_MAX, STARTUP_GC_DELAY_MS, STARTUP_GC_ENV, STARTUP_GC_FLUSH_V8_FLAGS, startupGcEnabled } from '../../src/cli/startup-gc.js'

const youngMb = (): number => (getHeapSpaceStatistics().find(s => s.space_name === 'new_space')?.space_size ?? 0) / 1048576

/** A timer that fires when `fire` is called, and what it was scheduled with. */
function manualTimer(): { setTimer: (fn: () => void, ms: number) => { unref: () => void }, fire: () => void, ms: number | undefined, unrefd: boolean } {
  const t = {
    fn: undefined as (() => void) | undefined,
    ms: undefined as number | undefined,
    unrefd: false,
    setTimer: (fn: () => void, ms: number) => { t.fn = fn; t.ms = ms; return { unref: () => { t.unrefd = true } } },
    fire: () => { t.fn?.() },
  }
  return t
}

describe('the memory-reducing GC after troupe start', () => {
  it('shrinks a young generation that a burst of surviving allocations grew', async () => {
    const keep: Array<{ i: number, s: string }> = []
    for (let i = 0; i < 300_000; i++) keep.push({ i, s: `x${i}` })
    const grown = youngMb()
    keep.length = 0
    expect(await collectGarbageReducingMemory()).toBe(true)
    expect(grown).toBeGreaterThan(4)
    expect(youngMb()).toBeLessThanOrEqual(2)
  })

  it('flushes the bytecode of a function that ran once and is not running, and sets the flags back', async () => {
    const bytecode = (): number => getHeapCodeStatistics().bytecode_and_metadata_size
    const body = Array.from({ length: 3000 }, (_, i) => `s = (s * 31 + ${i}) % 1000003;`).join('\n')
    const before = bytecode()
    const once = new Function('let s = 1;\n' + body + '\nreturn s') as () => number
    expect(once()).toBeGreaterThan(0)
    const compiled = bytecode() - before
    expect(compiled).toBeGreaterThan(50_000)
    let restored = 0
    expect(await collectGarbageReducingMemory({ restoreFlags: () => { restored++ } })).toBe(true)
    expect(restored).toBe(1)
    expect(bytecode()).toBeLessThan(before + compiled / 2)
    expect(once()).toBeGreaterThan(0) // compiled again on its next call
    expect(STARTUP_GC_FLUSH_V8_FLAGS.off).toBe('--bytecode-old-age=5 --no-flush-baseline-code')
  })

  it('is on unless TROUPE_STARTUP_GC is 0', () => {
    expect(STARTUP_GC_ENV).toBe('TROUPE_STARTUP_GC')
    expect(startupGcEnabled({})).toBe(true)
    expect(startupGcEnabled({ [STARTUP_GC_ENV]: '1' })).toBe(true)
    expect(startupGcEnabled({ [STARTUP_GC_ENV]: ' 0 ' })).toBe(false)
  })

  it('collects once the delay has passed if the event loop was idle, unref\'d', async () => {
    const timer = manualTimer()
    let collected = 0
    const outcome = new Promise(resolve => { scheduleStartupGc({ setTimer: timer.setTimer, utilization: () => () => 0.05, collect: async () => { collected++; return true }, onDone: resolve }) })
    expect(timer.ms).toBe(STARTUP_GC_DELAY_MS)
    expect(timer.unrefd).toBe(true)
    expect(collected).toBe(0)
    timer.fire()
    expect(await outcome).toBe('collected')
    expect(collected).toBe(1)
  })

  it('skips it when the event loop was busier than STARTUP_GC_BUSY_MAX', async () => {
    const timer = manualTimer()
    let collected = 0
    const outcome = new Promise(resolve => { scheduleStartupGc({ setTimer: timer.setTimer, utilization: () => () => STARTUP_GC_BUSY_MAX + 0.01, collect: async () => { collected++; return true }, onDone: resolve }) })
    timer.fire()
    expect(await outcome).toBe('busy')
    expect(collected).toBe(0)
  })

  it('reports a failed collection and does nothing once aborted', async () => {
    const failing = manualTimer()
    const outcome = new Promise(resolve => { scheduleStartupGc({ setTimer: failing.setTimer, utilization: () => () => 0, collect: async () => { throw new Error('no heap profiler') }, onDone: resolve }) })
    failing.fire()
    expect(await outcome).toEqual(new Error('no heap profiler'))

    const ac = new AbortController()
    const timer = manualTimer()
    let collected = 0
    scheduleStartupGc({ setTimer: timer.setTimer, utilization: () => () => 0, collect: async () => { collected++; return true }, signal: ac.signal })
    ac.abort()
    timer.fire()
    await new Promise(resolve => setImmediate(resolve))
    expect(collected).toBe(0)
  })
})
