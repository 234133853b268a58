// ask and tell across peers and in-process: results, ordering, single
// activation, named errors, limits, deadlines and cancellation.
import { afterEach, describe, expect, it } from 'vitest'
import { ActorCluster, until, type Transport } from './harness.js'
import { counterActor, newEvents, type Events } from './counter.js'

let cluster: ActorCluster | undefined
let events: Events

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

// The same suite over the in-memory network and over real libp2p on loopback.
describe.each<Transport>(['memory', 'libp2p'])('over %s', (transport) => {
  async function start(init: { mailboxMax?: number } = {}): Promise<ActorCluster> {
    events = newEvents()
    cluster = await ActorCluster.start({
      transport,
      definitions: peer => [counterActor(peer, events), counterActor(peer, events, { type: 'small', mailboxMax: init.mailboxMax ?? 2 })],
    })
    return cluster
  }

  describe('ask and tell', () => {
    it('asks an actor on another peer and gets the handler result', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      const b = cluster.peer('b').system
      expect(await b.ask(address, 'add', 2)).toBe(2)
      expect(await b.ask(address, 'add', 3)).toBe(5)
      expect(await b.ask(address, 'where')).toBe('a')
      expect(cluster.peer('a').system.stats()).toEqual({ counter: { activations: 1, mailboxDepth: 0, messages: 3 }, small: { activations: 0, mailboxDepth: 0, messages: 0 } })
      expect(b.activations).toBe(0)
    })

    it('delivers local addresses in-process, with copies of messages and results', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      const a = cluster.peer('a').system
      await a.tell(address, 'push', 7)
      const seen = await a.ask<number[]>(address, 'seen')
      expect(seen).toEqual([7])
      seen.push(99)
      expect(await a.ask(address, 'seen')).toEqual([7])
    })

    it('a result that is the live state is answered as it was after that turn, local and remote', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      for (const from of ['a', 'b']) {
        const system = cluster.peer(from).system
        const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => system.ask<{ seen: number[] }>(address, 'pushAndShow', i)))
        const lengths = replies.map(r => r.seen.length)
        expect(new Set(lengths).size).toBe(20)
      }
    })

    it('tell resolves once accepted; the message then runs', async () => {
      const cluster = await start()
      const address = cluster.addressOn('b', 'counter')
      const c = cluster.peer('c').system
      await expect(c.tell(address, 'add', 4)).resolves.toBeUndefined()
      expect(await c.ask(address, 'get')).toBe(4)
      expect(await c.ask(address, 'push', 1)).toBeUndefined()
    })

    it('keeps the order of 1 000 tells from one sender, remote and local', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      for (const from of ['c', 'a']) {
        const sys = cluster.peer(from).system
        await Promise.all(Array.from({ length: 1000 }, (_, i) => sys.tell(address, 'push', i)))
        const seen = await sys.ask<number[]>(address, 'seen')
        expect(seen.slice(-1000)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
      }
    })

    it('activates an address once when three peers send its first messages at once', async () => {
      const cluster = await start()
      const address = cluster.addressOn('b', 'counter')
      const all = cluster.names.flatMap(n => Array.from({ length: 10 }, () => cluster.peer(n).system.ask(address, 'add', 1)))
      await Promise.all(all)
      expect(events.activations.filter(e => e.address === address)).toEqual([{ peer: 'b', address }])
      expect(await cluster.peer('a').system.ask(address, 'get')).toBe(30)
    })

    it('lets handlers ask other actors through ctx.actors, and refuses asking themselves', async () => {
      const cluster = await start()
      const a = cluster.addressOn('a', 'counter')
      const b = cluster.addressOn('b', 'counter')
      const c = cluster.peer('c').system
      expect(await c.ask(a, 'relay', b)).toBe(1)
      await expect(c.ask(a, 'askSelf')).rejects.toMatchObject({ name: 'ActorDeadlockError', code: 'ERR_ACTOR_DEADLOCK' })
    })
  })

  describe('errors', () => {
    it('a handler error reaches a remote and a local asker by name and code, and its state change is undone', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      for (const from of ['b', 'a']) {
        const err = await cluster.peer(from).system.ask(address, 'fail', 'out of stock').catch((e: unknown) => e)
        expect(err).toMatchObject({ name: 'CartError', code: 'ERR_CART', message: 'out of stock', status: 409 })
      }
      expect(await cluster.peer('b').system.ask(address, 'get')).toBe(0)
    })

    it('a thrown value that is not an Error reaches a local asker as the same Error a remote one gets', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      for (const [value, message] of [['out of stock', 'out of stock'], [{ reason: 'x' }, '[object Object]'], [42, '42']] as const) {
        for (const from of ['b', 'a']) {
          const err = await cluster.peer(from).system.ask(address, 'throwValue', value).catch((e: unknown) => e)
          expect(err).toBeInstanceOf(Error)
          expect(err).toMatchObject({ name: 'Error', code: 'ERR_INTERNAL', message, retryable: false })
        }
      }
      expect(await cluster.peer('b').system.ask(address, 'get')).toBe(0)
    })

    it('a message that fails the handler\'s input schema rejects with ValidationError and changes nothing', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      await expect(cluster.peer('b').system.ask(address, 'add', 'x')).rejects.toMatchObject({ name: 'ValidationError', code: 'ERR_VALIDATION', status: 422 })
      expect(await cluster.peer('b').system.ask(address, 'add', 2)).toBe(2)
    })

    it('rejects bad addresses, unknown types and handlers, and oversized messages before sending', async () => {
      const cluster = await start()
      const b = cluster.peer('b').system
      await expect(b.ask('no-slash', 'get')).rejects.toMatchObject({ name: 'InvalidAddressError' })
      await expect(b.ask('counter/', 'get')).rejects.toMatchObject({ name: 'InvalidAddressError' })
      await expect(b.ask('counter/x\ny', 'get')).rejects.toMatchObject({ name: 'InvalidAddressError' })
      await expect(b.ask('ghost/1', 'get')).rejects.toMatchObject({ name: 'UnknownActorError', code: 'ERR_UNKNOWN_ACTOR' })
      await expect(b.tell('counter/1', 'nope')).rejects.toMatchObject({ name: 'UnknownHandlerError' })
      await expect(b.tell('counter/1', 'push', 'x'.repeat(2 * 1024 * 1024))).rejects.toMatchObject({ name: 'ActorPayloadTooLargeError' })
      // A deadline that is not a number of ms used to be one already passed ("the actor could not be reached"), and
      // Infinity one the remote peer refused as a malformed body.
      for (const timeoutMs of [Number.NaN, -1, '5000', Number.POSITIVE_INFINITY] as unknown as number[]) {
        await expect(b.ask('counter/1', 'get', undefined, { timeoutMs })).rejects.toMatchObject({ name: 'ValidationError', fields: [{ path: ['timeoutMs'] }] })
      }
      expect(await b.ask('counter/1', 'get', undefined, { timeoutMs: 1e12 })).toBe(0)
    })

    it('a full mailbox rejects with MailboxFullError that the remote sender sees', async () => {
      const cluster = await start({ mailboxMax: 2 })
      const address = cluster.addressOn('a', 'small')
      const c = cluster.peer('c').system
      const busy = c.ask(address, 'sleep', 300)
      await until(() => (events.running.get(address) ?? 0) === 1)
      await c.tell(address, 'add', 1)
      await c.tell(address, 'add', 1)
      const err = await c.tell(address, 'add', 1).catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'MailboxFullError', code: 'ERR_MAILBOX_FULL', retryable: true })
      expect(await busy).toBe('a')
      expect(await c.ask(address, 'get')).toBe(3)
    })

    it('an ask past its deadline rejects with TimeoutError and the handler sees ctx.signal fire', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      const b = cluster.peer('b').system
      const started = performance.now()
      await expect(b.ask(address, 'sleep', 5_000, { timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError' })
      expect(performance.now() - started).toBeLessThan(1_000)
      await until(() => events.aborted.length === 1)
      expect(await b.ask(address, 'get')).toBe(0)
    })

    it('an aborted ask rejects with AbortedError', async () => {
      const cluster = await start()
      const address = cluster.addressOn('a', 'counter')
      const controller = new AbortController()
      const pending = cluster.peer('b').system.ask(address, 'sleep', 5_000, { signal: controller.signal })
      setTimeout(() => controller.abort(), 30)
      await expect(pending).rejects.toMatchObject({ name: 'AbortedError' })
      const already = cluster.peer('b').system.ask(address, 'get', undefined, { signal: controller.signal })
      await expect(already).rejects.toMatchObject({ name: 'AbortedError' })
    })
  })
})
