import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { IDLE_BUSY_MIN, IDLE_CHECK_MS, watchUntilBusy } from '../../src/cli/busy-watch.js'

/** An interval that ticks when `tick` is called. */
function manualInterval(): { setInterval: (fn: () => void, ms: number) => { unref: () => void }, clearInterval: () => void, tick: () => void, ms: number | undefined, cleared: boolean, unrefd: boolean } {
  const t = {
    fn: undefined as (() => void) | undefined,
    ms: undefined as number | undefined,
    cleared: false,
    unrefd: false,
    setInterval: (fn: () => void, ms: number) => { t.fn = fn; t.ms = ms; return { unref: () => { t.unrefd = true } } },
    clearInterval: () => { t.cleared = true },
    tick: () => { if (!t.cleared) t.fn?.() },
  }
  return t
}

const DIST = fileURLToPath(new URL('../../dist/cli/', import.meta.url))

describe('the end of the idle V8 flags when the started peer gets busy', () => {
  it('calls onBusy once, at the first check whose utilization reaches IDLE_BUSY_MIN, then stops', () => {
    const timer = manualInterval()
    const levels = [0.01, IDLE_BUSY_MIN - 0.01, IDLE_BUSY_MIN, 0.9]
    let checks = 0
    let busy = 0
    watchUntilBusy({ onBusy: () => { busy++ }, setInterval: timer.setInterval, clearInterval: timer.clearInterval, utilization: () => () => levels[checks++] ?? 1 })
    expect(timer.ms).toBe(IDLE_CHECK_MS)
    expect(timer.unrefd).toBe(true)
    timer.tick()
    timer.tick()
    expect(busy).toBe(0)
    timer.tick()
    expect(busy).toBe(1)
    expect(timer.cleared).toBe(true)
    timer.tick()
    expect(busy).toBe(1)
  })

  it('stops without calling onBusy once aborted', () => {
    const timer = manualInterval()
    const ac = new AbortController()
    let busy = 0
    watchUntilBusy({ onBusy: () => { busy++ }, setInterval: timer.setInterval, clearInterval: timer.clearInterval, utilization: () => () => 1, signal: ac.signal })
    ac.abort()
    expect(timer.cleared).toBe(true)
    timer.tick()
    expect(busy).toBe(0)
  })

  // In a child process of its own: this test worker's event loop also runs the runner's messages and the GC of
  // other test files, which on a loaded machine made it look busy in a 100 ms window. Uses dist/ (npm run build first).
  it('sees a real event loop kept busy, and not one left idle', async () => {
    const script = `
      const { watchUntilBusy } = await import(${JSON.stringify(`${DIST}busy-watch.js`)})
      const idle = await new Promise(resolve => {
        const ac = new AbortController()
        watchUntilBusy({ onBusy: () => { resolve(true) }, intervalMs: 100, signal: ac.signal })
        setTimeout(() => { ac.abort(); resolve(false) }, 350)
      })
      // The watch's interval is unref'd: a timer keeps this process alive until the busy check has come (or not).
      const busy = new Promise(resolve => {
        const giveUp = setTimeout(() => { resolve(false) }, 2000)
        watchUntilBusy({ onBusy: () => { clearTimeout(giveUp); resolve(true) }, intervalMs: 100 })
      })
      const until = Date.now() + 250
      while (Date.now() < until) { /* keeps the event loop busy */ }
      console.log(JSON.stringify({ idle, busy: await busy }))
    `
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
    expect(JSON.parse(stdout)).toEqual({ idle: false, busy: true })
  })

  // In a child process: setting V8 flags here would change this test worker's V8. Uses dist/ (npm run build first).
  it('keeps TurboFan off through start and idle, and on once the peer is busy (default flags)', async () => {
    const script = `
      import v8 from 'node:v8'
      const { applyV8Flags } = await import(${JSON.stringify(`${DIST}v8-flags.js`)})
      const flags = applyV8Flags({})
      v8.setFlagsFromString('--allow-natives-syntax')
      const status = new Function('f', 'return %GetOptimizationStatus(f)')
      const hot = () => { const f = new Function('a', 'let s = 0; for (let i = 0; i < 50; i++) s += (a * i) % 7; return s'); for (let i = 0; i < 300000; i++) f(i); return f }
      // V8's status bits (V8 11.3 runtime-test.cc): 16 = optimized, 64 = by TurboFan.
      const optimized = f => (status(f) & 80) === 80
      const out = { starting: optimized(hot()) }
      flags.endStartup()
      out.idle = optimized(hot())
      flags.endIdle()
      const f = hot()
      await new Promise(r => setTimeout(r, 100))
      for (let i = 0; i < 300000; i++) f(i)
      out.busy = optimized(f)
      console.log(JSON.stringify(out))
    `
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
    expect(JSON.parse(stdout)).toEqual({ starting: false, idle: false, busy: true })
  })
})
