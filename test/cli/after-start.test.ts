import { describe, expect, it } from 'vitest'
import { afterStart } from '../../src/cli/after-start.js'
import { STARTUP_GC_DELAY_MS, STARTUP_GC_ENV } from '../../src/cli/startup-gc.js'
import type { AppliedV8Flags } from '../../src/cli/v8-flags.js'

/** What afterStart did with the flags, without setting any in this test worker. */
function fakeFlags(): AppliedV8Flags & { calls: string[], idleEnded: Promise<void> } {
  const calls: string[] = []
  let ended!: () => void
  const idleEnded = new Promise<void>(resolve => { ended = resolve })
  return {
    lasting: '', startup: '--no-turbofan', idle: '--no-turbofan', calls, idleEnded,
    endStartup: () => { calls.push('endStartup') },
    endIdle: () => { calls.push('endIdle'); ended() },
    restoreLasting: () => { calls.push('restoreLasting') },
  }
}

const busyFor = (ms: number): void => {
  const until = Date.now() + ms
  while (Date.now() < until) { /* keeps the event loop busy */ }
}
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/**
 * The event loop's utilization as the busy watch sees it, set by the test. Test files share a worker process
 * (vitest's `isolate: false`), whose loop another file's leftovers can keep busy for a moment: the real measure made
 * "idle for 1.2 s" flaky on a loaded machine. busy-watch.test.ts covers the real one, in a process of its own.
 */
function loopLevel(): { level: number, utilization: () => () => number } {
  const l = { level: 0, utilization: () => () => l.level }
  return l
}

describe('what troupe start does once the peer has started', () => {
  it('without the GC: ends the startup flags at once and the idle ones at the first busy moment', async () => {
    const ac = new AbortController()
    const flags = fakeFlags()
    const loop = loopLevel()
    afterStart(flags, { env: { [STARTUP_GC_ENV]: '0' }, signal: ac.signal, utilization: loop.utilization })
    expect(flags.calls).toEqual(['endStartup'])
    await sleep(1_200)
    expect(flags.calls).toEqual(['endStartup'])
    loop.level = 1
    await flags.idleEnded
    expect(flags.calls).toEqual(['endStartup', 'endIdle'])
    ac.abort()
  })

  it('with the GC of an idle peer: collects, sets the lasting flags again, then ends the idle flags when busy', async () => {
    const flags = fakeFlags()
    const loop = loopLevel()
    afterStart(flags, { env: {}, utilization: loop.utilization })
    await sleep(STARTUP_GC_DELAY_MS + 800)
    expect(flags.calls).toEqual(['endStartup', 'restoreLasting'])
    loop.level = 1
    await flags.idleEnded
    expect(flags.calls).toEqual(['endStartup', 'restoreLasting', 'endIdle'])
  })

  it('with a peer busy at the GC: skips it and ends the idle flags then', async () => {
    const flags = fakeFlags()
    afterStart(flags, { env: {} })
    busyFor(STARTUP_GC_DELAY_MS * 0.8)
    await flags.idleEnded
    expect(flags.calls).toEqual(['endStartup', 'endIdle'])
  })
})
