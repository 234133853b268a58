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

// A voter set change makes its voters pull every saved state from the earlier
// voters before they count as caught up (catch-up.ts), `settleMs` after the
// change. Meanwhile a read takes their copies toward a majority, and needs one
// copy from a voter that has caught up; an activation that cannot read yet
// keeps its messages waiting instead of failing them.
describe('reads while the voters catch up after a voter-set change', () => {
  const LONG_SETTLE_MS = 60_000

  /** a alone is the voter set and acknowledges a change by itself; then b and c join it, and will not pull for a minute. */
  async function growFromOne(): Promise<string> {
    await start(['a', 'b', 'c'])
    cluster.setVoters(['a'], 0)
    const address = cluster.addressOn('a', 'counter')
    expect(await cluster.peer('a').system.ask(address, 'add', 5)).toBe(5)
    cluster.setVoters(['a', 'b', 'c'], LONG_SETTLE_MS)
    cluster.assignment.move(cluster.partitionOf(address), 'b')
    return address
  }

  it('when the set grows from one voter, activations answer at once: the first voter has caught up, the new ones make up the majority', async () => {
    const address = await growFromOne()
    // b reads its own copy and c's (neither caught up) and a's: the change a acknowledged alone is there.
    expect(await cluster.peer('c').system.ask(address, 'get', undefined, { timeoutMs: 2_000 })).toBe(5)
  })

  it('copies of voters that have not caught up make no read by themselves: the activation waits for one that has', async () => {
    const address = await growFromOne()
    cutFrom('a', ['b', 'c'])
    let answered: number | undefined
    const get = cluster.peer('c').system.ask<number>(address, 'get', undefined, { timeoutMs: 5_000 }).then((n) => { answered = n; return n })
    await new Promise(r => setTimeout(r, 400))
    // b and c are a majority of the three, but neither holds what a acknowledged before they joined.
    expect(answered).toBeUndefined()
    cluster.net.heal()
    expect(await get).toBe(5)
  })

  it('when no voter has caught up yet (3 -> 5 voters), asks and tells from other peers wait for the pull instead of failing', async () => {
    await start(['a', 'b', 'c', 'd', 'e'])
    cluster.setVoters(['a', 'b', 'c'], 0)
    const address = cluster.addressOn('a', 'counter')
    expect(await cluster.peer('b').system.ask(address, 'add', 1)).toBe(1)
    // Each of a, b and c must now read another of the three before it has caught up: none has for SETTLE_MS.
    const SETTLE_MS = 400
    const changedAt = performance.now()
    cluster.setVoters(['a', 'b', 'c', 'd', 'e'], SETTLE_MS)
    const fresh = cluster.addressOn('a', 'counter', Number(address.slice('counter/k'.length)) + 1)
    await cluster.peer('d').system.tell(fresh, 'add', 2)
    expect(await cluster.peer('e').system.ask(fresh, 'add', 3, { timeoutMs: 5_000 })).toBe(5)
    expect(performance.now() - changedAt).toBeGreaterThanOrEqual(SETTLE_MS - 50)
    expect(await cluster.peer('e').system.ask(address, 'get')).toBe(1)
  })

  // x answers as caught up, but with the set before the new one (it has not heard of it), or with no set at all (the
  // first set it learned, as after a restart: it never read the others).
  it.each(['the set before', 'no set'])('a voter whose answer names %s is not taken for caught up: its copy completes no read', async (which) => {
    await start(['x', 'y', 'z', 'u', 'v'])
    if (which === 'the set before') cluster.setVoters(['x', 'y', 'z'], 0)
    else {
      cluster.voters = ['x', 'y', 'z']
      const ids = cluster.voters.map(n => cluster.peer(n).id)
      for (const n of ['y', 'z', 'u', 'v']) cluster.peer(n).system.votersChanged(ids, 0)
    }
    const address = cluster.addressOn('y', 'counter')
    const y = cluster.peer('y').system
    expect(await y.ask(address, 'add', 1, { timeoutMs: 5_000 })).toBe(1)
    // The next change reaches y and z only: a majority of {x, y, z}.
    cutFrom('x', ['y', 'z'])
    expect(await y.ask(address, 'add', 1)).toBe(2)
    await cluster.kill('y')
    await cluster.kill('z')
    cluster.net.heal()
    // {x, y, z, u, v} as u and v know it; x has not heard of it.
    cluster.voters = ['x', 'y', 'z', 'u', 'v']
    const ids = cluster.voters.map(n => cluster.peer(n).id)
    for (const n of ['u', 'v']) cluster.peer(n).system.votersChanged(ids, LONG_SETTLE_MS)
    cluster.assignment.move(cluster.partitionOf(address), 'u')
    // u, v and x are a majority of the five, and x answers as caught up: the change x missed would be lost if its
    // copy made the read.
    await expect(cluster.peer('u').system.ask(address, 'get', undefined, { timeoutMs: 1_000 })).rejects.toMatchObject({ retryable: true })
  })
})
