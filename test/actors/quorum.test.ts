// With a quorum (the lease voters), a state change is acknowledged only once a
// majority holds it. A change whose save fell short stays unacknowledged,
// even to a re-send of the same message, until a majority holds it; a new
// activation writes back what it restores before answering from it.
import { afterEach, describe, expect, it } from 'vitest'
import { ActorCluster } from './harness.js'
import { counterActor, newEvents } from './counter.js'

let cluster: ActorCluster

afterEach(async () => { await cluster?.close() })

async function start(peers: string[]): Promise<void> {
  const events = newEvents()
  cluster = await ActorCluster.start({ peers, quorum: true, definitions: peer => [counterActor(peer, events)] })
}

function cutFrom(name: string, others: string[]): void {
  for (const o of others) cluster.net.cut(cluster.peer(name).id, cluster.peer(o).id)
}

describe('state changes and the voters\' majority', () => {
  it('a read that follows a change not yet held by a majority is not answered before it is (a read of a durable state answers at once)', async () => {
    await start(['a', 'b', 'c', 'd', 'e'])
    const address = cluster.addressOn('a', 'counter')
    const a = cluster.peer('a').system
    expect(await cluster.peer('b').system.ask(address, 'add', 1)).toBe(1)
    expect(await cluster.peer('b').system.ask(address, 'get')).toBe(1)
    // a and b hold the next change: 2 of 5 voters. The host is the sender: its router re-sends after the failed save.
    cutFrom('a', ['c', 'd', 'e'])
    const answered: string[] = []
    const add = a.ask<number>(address, 'add', 1, { timeoutMs: 5_000 }).then((n) => { answered.push('add'); return n })
    const get = a.ask<number>(address, 'get', undefined, { timeoutMs: 5_000 }).then((n) => { answered.push('get'); return n })
    await new Promise(r => setTimeout(r, 300))
    expect(answered).toEqual([])
    cluster.net.heal()
    expect(await add).toBe(2)
    expect(await get).toBe(2)
  })

  it('a change that reached no majority is never acknowledged, not even to the re-send of its message', async () => {
    await start(['a', 'b', 'c'])
    const address = cluster.addressOn('a', 'counter')
    const a = cluster.peer('a').system
    expect(await a.ask(address, 'add', 1)).toBe(1)
    cutFrom('a', ['b', 'c'])
    // The host is the sender here: its router re-sends the same message id after the failed save.
    await expect(a.ask(address, 'add', 1, { timeoutMs: 400 })).rejects.toMatchObject({ retryable: true })
    cluster.peer('a').claims.validUntilMax = cluster.clock.now()
    cluster.assignment.move(cluster.partitionOf(address), 'b')
    expect(await cluster.peer('b').system.ask(address, 'get')).toBe(1)
  })

  it('a re-sent message whose change only a minority held is answered once the change is written back to a majority', async () => {
    await start(['a', 'b', 'c', 'd', 'e'])
    const address = cluster.addressOn('a', 'counter')
    const a = cluster.peer('a').system
    expect(await a.ask(address, 'add', 1)).toBe(1)
    // a and b hold the next change: 2 of 5 voters.
    cutFrom('a', ['c', 'd', 'e'])
    let answered: number | undefined
    const pending = a.ask<number>(address, 'add', 1, { timeoutMs: 5_000 }).then((n) => { answered = n; return n })
    await new Promise(r => setTimeout(r, 300))
    expect(answered).toBeUndefined()
    cluster.net.heal()
    expect(await pending).toBe(2)
    // Only c, d and e are left: the acknowledged change must be on them.
    await cluster.kill('a')
    await cluster.kill('b')
    cluster.assignment.move(cluster.partitionOf(address), 'c')
    expect(await cluster.peer('c').system.ask(address, 'get', undefined, { timeoutMs: 2_000 })).toBe(2)
  })

  it('after the voter set shrinks, its new voters catch up before they answer: a change held by the old majority survives', async () => {
    await start(['a', 'b', 'c', 'd', 'e'])
    const address = cluster.addressOn('a', 'counter')
    const a = cluster.peer('a').system
    expect(await a.ask(address, 'add', 1)).toBe(1)
    // The next change reaches a, d and e only: a majority of the five.
    cutFrom('a', ['b', 'c'])
    expect(await a.ask(address, 'add', 1)).toBe(2)
    await cluster.kill('a')
    cluster.net.heal()
    // The survivors replace the five with {b, c, d}; b cannot reach d, so it reads {b, c}, neither of which held the change.
    cluster.net.cut(cluster.peer('b').id, cluster.peer('d').id)
    cluster.setVoters(['b', 'c', 'd'], 50)
    cluster.assignment.move(cluster.partitionOf(address), 'b')
    expect(await cluster.peer('b').system.ask(address, 'get', undefined, { timeoutMs: 5_000 })).toBe(2)
  })
})
