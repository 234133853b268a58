import { describe, expect, it } from 'vitest'
import { UnavailableError } from '../../src/errors.js'
import { MemoryNetwork } from '../../src/wire/memory-messenger.js'
import { gate, recordingLogger } from './helpers.js'
import { messengerContract } from './messenger-contract.js'

messengerContract('memory', async (init) => {
  const net = new MemoryNetwork()
  const a = net.messenger('a', { logger: recordingLogger() }, init)
  const b = net.messenger('b', { logger: recordingLogger() }, init)
  await a.start()
  await b.start()
  return { a, b, aName: 'a', bName: 'b', nobody: 'nobody', close: async () => { await a.stop(); await b.stop() } }
})

describe('MemoryNetwork', () => {
  it('cut rejects pending requests across the cut and refuses new ones until healed', async () => {
    const net = new MemoryNetwork()
    const a = net.messenger('a')
    const b = net.messenger('b')
    await a.start()
    await b.start()
    const g = gate()
    b.handle('slow', () => g.promise)
    b.handle('echo', (_f, body) => body)
    const pending = a.request('b', 'slow', null)
    net.cut('a', 'b')
    await expect(pending).rejects.toBeInstanceOf(UnavailableError)
    await expect(a.request('b', 'echo', 1)).rejects.toBeInstanceOf(UnavailableError)
    net.heal()
    expect(await a.request('b', 'echo', 2)).toBe(2)
    g.open()
  })

  it('delays frames by the injected delay, on the injected timers', async () => {
    const scheduled: number[] = []
    const net = new MemoryNetwork({
      delayMs: 25,
      timers: { setTimeout: (fn, ms) => { scheduled.push(ms); return { id: setTimeout(fn, ms === 25 ? 0 : ms) } }, clearTimeout: (h) => clearTimeout(h.id as NodeJS.Timeout) },
    })
    const a = net.messenger('a')
    const b = net.messenger('b')
    await a.start()
    await b.start()
    b.handle('echo', (_f, body) => body)
    expect(await a.request('b', 'echo', 'x', { timeoutMs: 1000 })).toBe('x')
    // Request timer, request frame, reply frame.
    expect(scheduled).toEqual([1000, 25, 25])
  })
})
