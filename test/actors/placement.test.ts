// Moves: a killed host, a partition moved while messages are in flight or
// queued, graceful stop, and idle deactivation. State follows the actor.
import { afterEach, describe, expect, it } from 'vitest'
import { defineActor } from '../../src/actors/define.js'
import { ActorCluster, until, type Transport } from './harness.js'
import { counterActor, newEvents, type Events } from './counter.js'

let cluster: ActorCluster
let events: Events

async function start(init: { delayMs?: number, idleMs?: number, transport?: Transport } = {}): Promise<void> {
  events = newEvents()
  cluster = await ActorCluster.start({
    definitions: peer => [counterActor(peer, events, { idleMs: init.idleMs })],
    network: { delayMs: init.delayMs ?? 0 },
    transport: init.transport,
  })
}

afterEach(async () => { await cluster?.close() })

describe('moves', () => {
  it.each<Transport>(['memory', 'libp2p'])('a killed host: the actor reactivates elsewhere with its last saved state (%s)', async (transport) => {
    await start({ transport })
    const address = cluster.addressOn('a', 'counter')
    const b = cluster.peer('b').system
    for (let i = 0; i < 5; i++) await b.ask(address, 'add', 1)
    await cluster.kill('a')
    cluster.assignment.moveAll('a', ['b', 'c'])
    expect(await b.ask(address, 'get')).toBe(5)
    expect(await b.ask(address, 'where')).not.toBe('a')
    expect(await cluster.peer('c').system.ask(address, 'add', 1)).toBe(6)
  })

  it('a message in flight while its partition moves is re-sent to the new holder', async () => {
    await start({ delayMs: 10 })
    const address = cluster.addressOn('a', 'counter')
    const c = cluster.peer('c').system
    expect(await c.ask(address, 'add', 1)).toBe(1)
    const p = cluster.partitionOf(address)
    const asked = c.ask(address, 'add', 1)
    const told = Array.from({ length: 20 }, (_, i) => c.tell(address, 'push', i))
    cluster.assignment.move(p, 'b')
    expect(await asked).toBe(2)
    await Promise.all(told)
    expect(await c.ask(address, 'where')).toBe('b')
    expect([...await c.ask<number[]>(address, 'seen')].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it.each<Transport>(['memory', 'libp2p'])('queued messages of a moving actor reach the new holder; the running turn is aborted and re-run there (%s)', async (transport) => {
    await start({ transport })
    const address = cluster.addressOn('a', 'counter')
    const c = cluster.peer('c').system
    const running = c.ask(address, 'sleep', 200)
    await until(() => (events.running.get(address) ?? 0) === 1)
    const asks = Array.from({ length: 5 }, () => c.ask(address, 'add', 10))
    const tells = Array.from({ length: 5 }, (_, i) => c.tell(address, 'push', i))
    await Promise.all(tells)
    cluster.assignment.move(cluster.partitionOf(address), 'b')
    expect(await running).toBe('b')
    // Each add ran once, in some order around the re-run sleep (+1).
    const sums = await Promise.all(asks) as number[]
    expect(new Set(sums).size).toBe(5)
    expect(Math.max(...sums)).toBeGreaterThanOrEqual(50)
    expect(events.aborted).toEqual([{ peer: 'a', address }])
    expect(events.maxRunning).toBe(1)
    expect(await c.ask(address, 'get')).toBe(51)
    expect([...await c.ask<number[]>(address, 'seen')].sort()).toEqual([0, 1, 2, 3, 4])
    expect(events.deactivations).toContainEqual({ peer: 'a', address, reason: 'moved' })
  })

  it('a graceful stop saves the state, and the next holder continues from it', async () => {
    await start()
    const address = cluster.addressOn('a', 'counter')
    const b = cluster.peer('b').system
    await b.ask(address, 'add', 7)
    await cluster.peer('a').system.stop()
    expect(events.deactivations).toContainEqual({ peer: 'a', address, reason: 'stop' })
    cluster.assignment.moveAll('a', ['b', 'c'])
    expect(await b.ask(address, 'add', 1)).toBe(8)
  })
})

describe('a directory that names this peer before it holds the partition', () => {
  it('a message is sent to a voter, whose hint names the holder, instead of waiting for the move', async () => {
    events = newEvents()
    // c's placement heads to c for every partition (as a joining peer's does), while a and b hold them.
    cluster = await ActorCluster.start({
      quorum: true,
      definitions: peer => [counterActor(peer, events)],
      holderOf: (peer, _p, holder) => peer === 'c' ? 'c' : holder,
    })
    cluster.assignment.moveAll('c', ['a', 'b'])
    const address = cluster.addressOn('a', 'counter')
    expect(await cluster.peer('c').system.ask(address, 'add', 2, { timeoutMs: 2_000 })).toBe(2)
    expect(events.activations.map(e => e.peer)).toEqual(['a'])
  })
})

describe('lifecycle', () => {
  it('replyAfterSave: false answers before saving, and the state is still saved in order', async () => {
    events = newEvents()
    cluster = await ActorCluster.start({ definitions: peer => [counterActor(peer, events, { type: 'fast', replyAfterSave: false })] })
    const address = cluster.addressOn('a', 'fast')
    const b = cluster.peer('b').system
    expect(await Promise.all([1, 2, 3].map(() => b.ask(address, 'add', 1)))).toEqual([1, 2, 3])
    await cluster.peer('a').system.stop()
    cluster.assignment.moveAll('a', ['b', 'c'])
    expect(await b.ask(address, 'get')).toBe(3)
  })

  it('deactivates after idleMs and restores the saved state on the next message', async () => {
    await start({ idleMs: 30 })
    const address = cluster.addressOn('b', 'counter')
    const c = cluster.peer('c').system
    await c.ask(address, 'add', 3)
    await until(() => events.deactivations.length === 1)
    expect(events.deactivations[0]).toEqual({ peer: 'b', address, reason: 'idle' })
    expect(cluster.peer('b').system.activations).toBe(0)
    expect(await c.ask(address, 'get')).toBe(3)
    expect(events.activations.filter(e => e.address === address)).toHaveLength(2)
  })

  it('a busy actor is not deactivated; it is once quiet for idleMs', async () => {
    await start({ idleMs: 60 })
    const address = cluster.addressOn('a', 'counter')
    const b = cluster.peer('b').system
    for (let i = 0; i < 15; i++) {
      await b.tell(address, 'add', 1)
      await new Promise(r => setTimeout(r, 10))
    }
    expect(events.deactivations).toEqual([])
    await until(() => events.deactivations.length === 1)
    expect(await b.ask(address, 'get')).toBe(15)
  })

  it('a stop bounces queued asks to their senders, who reach the next holder', async () => {
    await start()
    const address = cluster.addressOn('a', 'counter')
    const c = cluster.peer('c').system
    const first = c.ask(address, 'sleep', 50)
    await until(() => (events.running.get(address) ?? 0) === 1)
    const queued = [c.ask(address, 'add', 1), c.ask(address, 'add', 1)]
    const stopped = cluster.peer('a').system.stop()
    setTimeout(() => cluster.assignment.moveAll('a', ['b']), 30)
    await stopped
    // The sleep (re-run, +1) and the two adds ran once each at b, in some order.
    const sums = await Promise.all(queued) as number[]
    expect(new Set(sums).size).toBe(2)
    expect(sums.every(n => n >= 1 && n <= 3)).toBe(true)
    expect(await first).toBe('b')
    expect(await c.ask(address, 'get')).toBe(3)
  })

  it('start twice and stop twice are harmless; a stopped system refuses to send', async () => {
    await start()
    const a = cluster.peer('a').system
    await a.start()
    await a.stop()
    await a.stop()
    await expect(a.ask('counter/x', 'get')).rejects.toMatchObject({ name: 'ActorSystemStoppedError', retryable: true })
  })

  it('stop gives up on a handler that ignores its signal after timeoutMs', async () => {
    events = newEvents()
    const stubborn = defineActor({ type: 'stubborn', initialState: () => 0, handlers: { hang: () => new Promise(() => {}) } })
    cluster = await ActorCluster.start({ definitions: () => [stubborn] })
    const address = cluster.addressOn('a', 'stubborn')
    void cluster.peer('a').system.tell(address, 'hang')
    await until(() => cluster.peer('a').system.activations === 1)
    const started = performance.now()
    await cluster.peer('a').system.stop({ timeoutMs: 50 })
    expect(performance.now() - started).toBeLessThan(1_000)
  })

  it('ctx.fence is the fence of the partition the actor runs under', async () => {
    await start()
    const address = cluster.addressOn('c', 'counter')
    const p = cluster.partitionOf(address)
    expect(await cluster.peer('a').system.ask(address, 'fence')).toBe(cluster.assignment.fence(p))
    cluster.assignment.move(p, 'a')
    expect(await cluster.peer('a').system.ask(address, 'fence')).toBe(cluster.assignment.fence(p))
  })
})
