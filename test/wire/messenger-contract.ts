// The contract every Messenger implementation passes (in-memory and libp2p
// alike). Each test gets a fresh pair of started messengers.

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AbortedError, TimeoutError, TroupeError, UnavailableError } from '../../src/errors.js'
import { BackpressureError, PayloadTooLargeError } from '../../src/wire/errors.js'
import { FRAME_BYTES_MAX } from '../../src/wire/constants.js'
import type { Messenger, PeerName } from '../../src/wire/messenger.js'
import type { MessengerInit } from '../../src/wire/options.js'
import { gate } from './helpers.js'

export interface TestMessenger extends Messenger {
  start(): Promise<void>
  stop(): Promise<void>
}

export interface Pair {
  a: TestMessenger
  b: TestMessenger
  aName: PeerName
  bName: PeerName
  /** A peer name that exists nowhere. */
  nobody: PeerName
  /** Stops everything the pair built. */
  close(): Promise<void>
}

export type PairFactory = (init?: MessengerInit) => Promise<Pair>

class LeaseLostError extends TroupeError {
  constructor(message: string) {
    super(message, { code: 'ERR_LEASE_LOST', status: 409, retryable: true })
    this.name = 'LeaseLostError'
  }
}

export function messengerContract(name: string, makePair: PairFactory): void {
  describe(`Messenger contract: ${name}`, () => {
    let p: Pair
    const released: Array<() => void> = []
    beforeEach(async () => { p = await makePair() })
    afterEach(async () => {
      for (const r of released.splice(0)) r()
      await p.close()
    })
    const hang = (): Promise<void> => {
      const g = gate()
      released.push(g.open)
      return g.promise
    }

    it('answers a request with the handler result, naming the caller', async () => {
      p.b.handle('echo', (from, body) => ({ from, body }))
      expect(await p.a.request(p.bName, 'echo', { x: 1, bin: new Uint8Array([1, 2]) })).toEqual({ from: p.aName, body: { x: 1, bin: new Uint8Array([1, 2]) } })
    })

    it('serves requests in both directions', async () => {
      p.a.handle('who', () => 'a')
      p.b.handle('who', () => 'b')
      expect(await Promise.all([p.a.request(p.bName, 'who', null), p.b.request(p.aName, 'who', null)])).toEqual(['b', 'a'])
    })

    it('delivers one-way messages in order', async () => {
      const got: unknown[] = []
      const done = gate()
      p.b.on('note', (from, body) => {
        got.push(body)
        if (got.length === 100) done.open()
        expect(from).toBe(p.aName)
      })
      for (let i = 0; i < 100; i++) await p.a.send(p.bName, 'note', i)
      await done.promise
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i))
    })

    it('keeps working after a message handler throws', async () => {
      const done = gate()
      p.b.on('bad', () => { throw new Error('handler bug') })
      p.b.on('good', () => done.open())
      await p.a.send(p.bName, 'bad', 1)
      await p.a.send(p.bName, 'good', 2)
      await done.promise
    })

    it('carries a thrown error back as a named error without the remote stack', async () => {
      p.b.handle('lease', () => { throw new LeaseLostError('lease 7 lost') })
      const err = await p.a.request(p.bName, 'lease', null).catch((e: unknown) => e) as TroupeError
      expect(err).toBeInstanceOf(TroupeError)
      expect(err).toMatchObject({ name: 'LeaseLostError', code: 'ERR_LEASE_LOST', message: 'lease 7 lost', retryable: true, status: 409 })
      expect(err.stack ?? '').not.toContain('messenger-contract')
    })

    it('carries a plain Error as ERR_INTERNAL', async () => {
      p.b.handle('oops', async () => { throw new TypeError('bad input') })
      await expect(p.a.request(p.bName, 'oops', null)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INTERNAL', message: 'bad input' })
    })

    it('answers an unknown channel with ERR_NO_HANDLER', async () => {
      await expect(p.a.request(p.bName, 'nothing-here', null)).rejects.toMatchObject({ name: 'NoHandlerError', code: 'ERR_NO_HANDLER' })
    })

    it('stops serving a channel after unhandle', async () => {
      p.b.handle('temp', () => 1)
      expect(await p.a.request(p.bName, 'temp', null)).toBe(1)
      p.b.unhandle('temp')
      await expect(p.a.request(p.bName, 'temp', null)).rejects.toMatchObject({ code: 'ERR_NO_HANDLER' })
    })

    it('refuses a second handler on one channel', () => {
      p.b.handle('once', () => 1)
      expect(() => p.b.handle('once', () => 2)).toThrow(/already registered/)
    })

    it('times out with TimeoutError', async () => {
      p.b.handle('slow', hang)
      await expect(p.a.request(p.bName, 'slow', null, { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError)
    })

    it('aborts with AbortedError, before and during a request', async () => {
      p.b.handle('slow', hang)
      await expect(p.a.request(p.bName, 'slow', null, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError)
      await expect(p.a.send(p.bName, 'slow', null, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError)
      const ac = new AbortController()
      const pending = p.a.request(p.bName, 'slow', null, { signal: ac.signal })
      ac.abort()
      await expect(pending).rejects.toBeInstanceOf(AbortedError)
    })

    it('answers 1000 concurrent requests, each with its own reply', async () => {
      p.b.handle('double', (_from, body) => (body as number) * 2)
      const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => p.a.request(p.bName, 'double', i)))
      expect(replies).toEqual(Array.from({ length: 1000 }, (_, i) => i * 2))
    })

    it('carries a body near frameBytesMax and rejects one over it', async () => {
      p.b.handle('size', (_from, body) => (body as Uint8Array).byteLength)
      p.b.handle('big-reply', () => new Uint8Array(FRAME_BYTES_MAX + 1))
      const near = FRAME_BYTES_MAX - 64
      expect(await p.a.request(p.bName, 'size', new Uint8Array(near))).toBe(near)
      await expect(p.a.request(p.bName, 'size', new Uint8Array(FRAME_BYTES_MAX))).rejects.toBeInstanceOf(PayloadTooLargeError)
      await expect(p.a.send(p.bName, 'size', new Uint8Array(FRAME_BYTES_MAX))).rejects.toBeInstanceOf(PayloadTooLargeError)
      // A reply too large to send comes back as the error, not a timeout.
      await expect(p.a.request(p.bName, 'big-reply', null)).rejects.toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE' })
    })

    it('rejects an invalid channel name', async () => {
      await expect(p.a.request(p.bName, '', null)).rejects.toMatchObject({ code: 'ERR_PROTOCOL' })
      await expect(p.a.send(p.bName, 'x'.repeat(500), null)).rejects.toMatchObject({ code: 'ERR_PROTOCOL' })
    })

    it('rejects with UnavailableError when the peer cannot be reached', async () => {
      await expect(p.a.request(p.nobody, 'echo', null)).rejects.toBeInstanceOf(UnavailableError)
      await expect(p.a.send(p.nobody, 'echo', null)).rejects.toBeInstanceOf(UnavailableError)
    })

    it('stop rejects pending requests with UnavailableError and tells handlers', async () => {
      let handlerSignal: AbortSignal | undefined
      p.b.handle('slow', (_from, _body, { signal }) => {
        handlerSignal = signal
        return hang()
      })
      p.a.handle('slow', hang)
      const fromA = p.a.request(p.bName, 'slow', null).catch((e: unknown) => e)
      const fromB = p.b.request(p.aName, 'slow', null).catch((e: unknown) => e)
      await expect.poll(() => handlerSignal).toBeDefined()
      await p.a.stop()
      expect(await fromA).toBeInstanceOf(UnavailableError)
      // The peer's requests to the stopped messenger fail fast too, not at their timeout.
      expect(await fromB).toBeInstanceOf(UnavailableError)
      await expect.poll(() => handlerSignal?.aborted).toBe(true)
    })

    it('is refused while stopped and works again after a restart', async () => {
      p.b.handle('echo', (_f, body) => body)
      await p.a.stop()
      await expect(p.a.request(p.bName, 'echo', 1)).rejects.toBeInstanceOf(UnavailableError)
      await p.a.start()
      expect(await p.a.request(p.bName, 'echo', 2)).toBe(2)
    })

    it('start and stop twice are safe, and so is stop before start', async () => {
      await p.a.start()
      await p.a.stop()
      await p.a.stop()
      await p.a.start()
      await p.a.start()
      p.b.handle('echo', (_f, body) => body)
      expect(await p.a.request(p.bName, 'echo', 'ok')).toBe('ok')
    })

    it('refuses requests past inflightRequestsMax, and remote requests past inboundRequestsMax', async () => {
      const q = await makePair({ inflightRequestsMax: 4, inboundRequestsMax: 3 })
      const g = gate()
      try {
        q.b.handle('slow', () => g.promise)
        const calls = [1, 2, 3, 4, 5].map(i => q.a.request(q.bName, 'slow', i).catch((e: unknown) => e))
        // The fifth never leaves: four are in flight. The fourth is refused by b, which runs three at a time for a.
        expect(await calls[4]).toBeInstanceOf(BackpressureError)
        expect(await calls[3]).toMatchObject({ name: 'BackpressureError', code: 'ERR_BACKPRESSURE', retryable: true })
        g.open()
        expect(await Promise.all(calls.slice(0, 3))).toEqual([undefined, undefined, undefined])
      } finally {
        g.open()
        await q.close()
      }
    })
  })
}
