// Many asks from every peer while partitions keep moving (far more often than
// a lease ever would): every ask is answered, each change is applied exactly
// once (re-sends are recognised by message id), every accepted tell runs
// once, and no actor ever runs two turns at once.
import { afterEach, expect, it } from 'vitest'
import { seededRandom, randomInt } from '../../src/util/random.js'
import { ActorCluster } from './harness.js'
import { counterActor, newEvents } from './counter.js'

let cluster: ActorCluster | undefined
afterEach(async () => { await cluster?.close() })

it.each([1, 2, 3, 4])('asks survive partitions moving under them (seed %i)', async (seed) => {
  const random = seededRandom(seed)
  const events = newEvents()
  cluster = await ActorCluster.start({ definitions: peer => [counterActor(peer, events)], network: { delayMs: () => randomInt(random, 0, 3) } })
  const c = cluster
  const addresses = Array.from({ length: 6 }, (_, i) => `counter/churn-${seed}-${i}`)
  const acked = new Map<string, number>()
  const told = new Map<string, number[]>()
  let moving = true
  const mover = (async () => {
    while (moving) {
      const address = addresses[randomInt(random, 0, addresses.length - 1)] as string
      c.assignment.move(c.partitionOf(address), c.names[randomInt(random, 0, 2)])
      await new Promise(r => setTimeout(r, randomInt(random, 5, 30)))
    }
  })()
  await Promise.all(Array.from({ length: 300 }, async (_, i) => {
    const address = addresses[i % addresses.length] as string
    const from = c.peer(c.names[randomInt(random, 0, 2)] as string).system
    await new Promise(r => setTimeout(r, randomInt(random, 0, 100)))
    if (i % 3 === 2) {
      await from.tell(address, 'push', i)
      told.set(address, [...told.get(address) ?? [], i])
      return
    }
    await from.ask(address, 'add', 1)
    acked.set(address, (acked.get(address) ?? 0) + 1)
  }))
  moving = false
  await mover
  for (const address of addresses) {
    const total = await c.peer('a').system.ask<number>(address, 'get')
    // Exactly once: re-sent asks whose change reached the new holder are answered from the applied ids.
    expect(total).toBe(acked.get(address) ?? 0)
    // Accepted tells all run once, in some order (queued ones are forwarded by the host they left).
    const expected = [...told.get(address) ?? []].sort((x, y) => x - y)
    let seen: number[] = []
    for (const end = Date.now() + 5_000; Date.now() < end; await new Promise(r => setTimeout(r, 20))) {
      seen = await c.peer('a').system.ask<number[]>(address, 'seen')
      if (seen.length >= expected.length) break
    }
    expect([...seen].sort((x, y) => x - y)).toEqual(expected)
  }
  expect(events.maxRunning).toBeLessThanOrEqual(1)
})
