// The host checks its lease before every turn and before saving, not only on
// 'lost' events: a lease that runs out stops the actor, and a turn that ends
// after it ran out leaves no state behind.
import { afterEach, describe, expect, it } from 'vitest'
import { ActorCluster, until } from './harness.js'
import { counterActor, newEvents, type Events } from './counter.js'

let cluster: ActorCluster
let events: Events

afterEach(async () => { await cluster?.close() })

async function start(stateReplicas?: number): Promise<void> {
  events = newEvents()
  cluster = await ActorCluster.start({ definitions: peer => [counterActor(peer, events)], init: { stateReplicas } })
}

describe('lease checks', () => {
  it('an expired lease stops the actor without any event; the new holder takes over', async () => {
    await start()
    const address = cluster.addressOn('a', 'counter')
    const b = cluster.peer('b').system
    expect(await b.ask(address, 'add', 1)).toBe(1)
    cluster.peer('a').claims.validUntilMax = cluster.clock.now()
    await expect(b.ask(address, 'add', 1, { timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError' })
    cluster.assignment.move(cluster.partitionOf(address), 'c')
    expect(await b.ask(address, 'add', 1)).toBe(2)
    expect(await b.ask(address, 'where')).toBe('c')
  })

  it('a turn that ends after the lease ran out is not saved, and runs again at the new holder', async () => {
    await start()
    const address = cluster.addressOn('a', 'counter')
    const b = cluster.peer('b').system
    const pending = b.ask(address, 'sleep', 100)
    await until(() => (events.running.get(address) ?? 0) === 1)
    cluster.peer('a').claims.validUntilMax = cluster.clock.now()
    setTimeout(() => cluster.assignment.move(cluster.partitionOf(address), 'c'), 150)
    expect(await pending).toBe('c')
    expect(await b.ask(address, 'get')).toBe(1)
    expect(events.maxRunning).toBe(1)
  })
})

describe('what a crash can lose', () => {
  it('with stateReplicas 0, a killed host takes its actors\' state with it', async () => {
    await start(0)
    const address = cluster.addressOn('a', 'counter')
    const b = cluster.peer('b').system
    await b.ask(address, 'add', 5)
    await cluster.kill('a')
    cluster.assignment.moveAll('a', ['b', 'c'])
    expect(await b.ask(address, 'get')).toBe(0)
  })
})
