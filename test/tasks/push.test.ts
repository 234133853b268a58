// The direct push of "all" tasks (src/tasks/push.ts): a new "all" task
// reaches every live member on the messenger even when gossip loses it, each
// peer starts it on arrival, and copies arriving again (push, replica put,
// gossip, a late duplicate) never run it twice on one peer.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { hashPartition } from '../../src/tasks/claims.js'
import { compactRecords } from '../../src/tasks/compact.js'
import { CHANNEL_PUSH, WIRE_VERSION } from '../../src/tasks/constants.js'
import { defineTask } from '../../src/tasks/define.js'
import type { TaskRecord } from '../../src/tasks/record.js'
import { TaskStore } from '../../src/tasks/store.js'
import type { Store } from '../../src/store/store.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

/** No periodic sync within a test: only the push, the replica put and gossip (when not dropped) carry records. */
const NO_SYNC = { syncIntervalMs: 3_600_000, retentionMs: 7_200_000 }

/** What a peer's disk holds, read back by a second task store on its environment (the peer keeps running). */
function readBack(store: Store, partitions = 64 /* the harness's */): TaskStore {
  const disk = new TaskStore(store, id => hashPartition(id, partitions), partitions, () => Date.now())
  disk.load()
  return disk
}

/** The copy a late or repeated push would carry: the record as created, before any attempt. */
function asCreated(r: TaskRecord): TaskRecord {
  return { ...r, state: 'pending', attempts: [] }
}

describe('direct push of "all" tasks', () => {
  it('reaches and runs on every peer when gossip loses everything', async () => {
    const ran: string[] = []
    cluster = await Cluster.start({
      peers: 4,
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({}), run: () => { ran.push(peer) } })],
      init: NO_SYNC,
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    c.bus.dropping = true
    // The replica put reaches one peer; without the push the other two would wait for a sync round (an hour here).
    const id = await c.service('a').enqueue('flush', {})
    await waitFor('four runs', () => ran.length === 4, 5_000)
    expect(ran.sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(c.bus.published).toBe(0)
    for (const p of ['b', 'c', 'd']) await waitFor(`${p} holds the record`, () => c.service(p).get(id) !== undefined)
  })

  it('gossips a new "all" task whose push to a member cannot be sent, and only then', async () => {
    const ran: string[] = []
    cluster = await Cluster.start({
      peers: 3,
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({ n: z.number() }), run: () => { ran.push(peer) } })],
      init: { ...NO_SYNC, gossipLazyMs: 50 },
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    const published = c.bus.published
    await c.service('a').enqueue('flush', { n: 1 })
    await waitFor('three runs', () => ran.length === 3)
    await new Promise(r => setTimeout(r, 150))
    // Every push went: the task rode along with no message, since none left.
    expect(c.bus.published).toBe(published)
    // b is still a member, but a's messages cannot reach it: the push to b fails, and gossip (which still reaches
    // b) carries the task instead. Sync is off, and the replica put goes to c.
    c.net.cut('a', 'b')
    await c.service('a').enqueue('flush', { n: 2 })
    await waitFor('b runs the second task too', () => ran.filter(p => p === 'b').length === 2, 5_000)
    expect(c.bus.published).toBeGreaterThan(published)
    expect(ran.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c'])
  })

  it('runs an "all" task once per peer although its copies arrive by every path', async () => {
    const ran = new Map<string, number>()
    cluster = await Cluster.start({
      peers: 3,
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({ n: z.number() }), run: () => { ran.set(peer, (ran.get(peer) ?? 0) + 1) } })],
      init: NO_SYNC,
    })
    const c = cluster
    const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => c.service('abc'[n % 3]!).enqueue('flush', { n })))
    await waitFor('60 runs', () => [...ran.values()].reduce((a, b) => a + b, 0) >= 60, 10_000)
    await waitFor('done everywhere', () => ids.every(id => ['a', 'b', 'c'].every(p => c.service(p).get(id)?.state === 'done')), 10_000)
    // Late duplicates of every task, as first created, pushed again to each peer: already run there, so nothing runs.
    for (const id of ids) {
      const copy = asCreated(c.service('a').get(id)!)
      for (const to of ['b', 'c']) await c.peer('a').messenger.send(to, CHANNEL_PUSH, { v: WIRE_VERSION, records: [copy] })
    }
    await new Promise(r => setTimeout(r, 200))
    expect(Object.fromEntries(ran)).toEqual({ a: 20, b: 20, c: 20 })
  })

  it('lets the writes of the "all" tasks a peer receives and runs share commits, and puts every one on disk', async () => {
    let ran = 0
    cluster = await Cluster.start({
      peers: 3,
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({ n: z.number() }), run: () => { if (peer === 'b') ran++ } })],
      // No replica: b hears of each task by the push alone, and writes only what it receives and runs (and settles).
      init: { ...NO_SYNC, replicas: 0 },
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    const b = c.peer('b').store
    // LMDB's own count of write transactions in b's environment: one per commit.
    const txns = (): number => (b.db('tasks') as unknown as { getStats: () => { lastTxnId: number } }).getStats().lastTxnId
    const before = txns()
    const n = 30
    const ids: string[] = []
    for (let i = 0; i < n; i++) ids.push(await c.service('a').enqueue('flush', { n: i }))
    await waitFor('b runs all of them', () => ran === n, 10_000)
    await waitFor('settled on b', () => ids.every(id => c.service('b').get(id)?.state === 'done'), 10_000)
    // b's disk: every task, settled, with b's own attempt ended, once the last writes that waited for company have
    // committed (within allReportMs).
    await waitFor('all of it on b\'s disk', () => {
      const disk = readBack(b)
      return ids.every(id => disk.get(id)?.state === 'done' && disk.get(id)!.attempts.some(x => x.peer === 'b' && x.outcome === 'ok'))
    }, 5_000, 100)
    // One commit or more per task (and as many syncs to disk) when each received task, its start and its end were
    // committed at once (31 here before); now they wait for company (2-3).
    expect(txns() - before).toBeLessThan(n / 2)
    expect(ran).toBe(n)
  })

  it('writes an "all" attempt\'s start to disk before its handler runs while the peer watches for crashes', async () => {
    const seen: boolean[] = []
    /** Whether b's disk holds b's attempt of `id`. */
    const onDisk = (id: string): boolean => readBack(cluster!.peer('b').store).get(id)?.attempts.some(x => x.peer === 'b') === true
    cluster = await Cluster.start({
      peers: 2,
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({}), run: (ctx) => { if (peer === 'b') seen.push(onDisk(ctx.taskId)) } })],
      // As after an unclean stop (CRASH_WATCH_MS): a handler that kills its peer at once still leaves its start.
      init: { ...NO_SYNC, startsAtOnceMs: 60_000 },
    })
    const c = cluster
    for (let i = 0; i < 3; i++) await c.service('a').enqueue('flush', {})
    await waitFor('b runs all three', () => seen.length === 3, 5_000)
    expect(seen).toEqual([true, true, true])
  })

  it('does not start a second attempt while the first still runs', async () => {
    let runs = 0
    let release = (): void => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    cluster = await Cluster.start({
      peers: 2,
      definitions: (peer) => [defineTask({ name: 'slow', scope: 'all', input: z.object({}), run: async () => { if (peer === 'b') { runs++; await gate } } })],
      init: NO_SYNC,
    })
    const c = cluster
    const id = await c.service('a').enqueue('slow', {})
    await waitFor('b runs it', () => runs === 1)
    const copy = asCreated(c.service('a').get(id)!)
    for (let i = 0; i < 3; i++) await c.peer('a').messenger.send('b', CHANNEL_PUSH, { v: WIRE_VERSION, records: [copy] })
    await new Promise(r => setTimeout(r, 100))
    expect(runs).toBe(1)
    release()
    await waitFor('done on b', () => c.service('b').get(id)?.attempts.some(a => a.peer === 'b' && a.outcome === 'ok') === true)
    expect(runs).toBe(1)
  })

  it('ignores pushes of another wire version and malformed bodies', async () => {
    cluster = await Cluster.start({
      peers: 2,
      definitions: () => [defineTask({ name: 'later', scope: 'any', input: z.object({}), run: () => {} })],
      init: { ...NO_SYNC, replicas: 0 },
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    c.bus.dropping = true
    // An "any" task is not pushed, and with no replica and no gossip b does not hear of it.
    const id = await c.service('a').enqueue('later', {}, { delayMs: 3_600_000 })
    const record = c.service('a').get(id)!
    const send = (body: unknown): Promise<void> => c.peer('a').messenger.send('b', CHANNEL_PUSH, body)
    await send({ v: WIRE_VERSION + 1, ...compactRecords([record]) })
    await send({ v: WIRE_VERSION - 1, records: [record] })
    await send({ v: WIRE_VERSION, records: [record] })
    await send({ v: WIRE_VERSION, ...compactRecords([{ ...record, partition: 'x' as unknown as number }]) })
    await send('garbage')
    await new Promise(r => setTimeout(r, 100))
    expect(c.service('b').get(id)).toBeUndefined()
    await send({ v: WIRE_VERSION, ...compactRecords([record]) })
    await waitFor('b holds the record', () => c.service('b').get(id) !== undefined)
  })
})

describe('"any" tasks finished at a light load', () => {
  /** A short defer window, so that a deferred copy of a new task that nothing dropped would be gossiped within the test. */
  const LIGHT = { ...NO_SYNC, gossipDeferMs: 100 }

  it('reach every peer by direct push, with no gossip message for the task', async () => {
    cluster = await Cluster.start({ peers: 3, definitions: () => [defineTask({ name: 'job', scope: 'any', input: z.object({ n: z.number() }), run: () => {} })], init: LIGHT })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    const published = c.bus.published
    for (let n = 0; n < 6; n++) {
      const id = await c.service('abc'[n % 3]!).enqueue('job', { n })
      await waitFor(`task ${n} done on every peer`, () => ['a', 'b', 'c'].every(p => c.service(p).get(id)?.state === 'done'))
      await new Promise(r => setTimeout(r, 20))
    }
    // Past the defer window too: the enqueuers' deferred copies were covered by the pushed outcomes, not gossiped.
    await new Promise(r => setTimeout(r, 300))
    expect(c.bus.published).toBe(published)
  })

  it('go by gossip when the push to a member cannot be sent', async () => {
    let release = (): void => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    cluster = await Cluster.start({ peers: 3, definitions: () => [defineTask({ name: 'job', scope: 'any', input: z.object({}), run: () => gate })], init: { ...LIGHT, gossipLazyMs: 50 } })
    const c = cluster
    await new Promise(r => setTimeout(r, 100))
    const id = await c.service('a').enqueue('job', {})
    const runner = c.assignment.holder(c.service('a').get(id)!.partition)!
    const other = ['a', 'b', 'c'].find(p => p !== runner)!
    await waitFor('the runner holds the task', () => c.service(runner).get(id) !== undefined)
    const published = c.bus.published
    // The runner's messages cannot reach `other`, which gossip still reaches; sync is off.
    c.net.cut(runner, other)
    release()
    await waitFor(`${other} hears that the task is done`, () => c.service(other).get(id)?.state === 'done', 5_000)
    expect(c.bus.published).toBeGreaterThan(published)
  })

  it('share gossip messages when they come faster than the coalescing window', async () => {
    cluster = await Cluster.start({ peers: 3, definitions: () => [defineTask({ name: 'job', scope: 'any', input: z.object({ n: z.number() }), run: () => {} })], init: { ...LIGHT, concurrency: 50 } })
    const c = cluster
    await new Promise(r => setTimeout(r, 100))
    const published = c.bus.published
    const ids = await c.service('a').enqueueMany(Array.from({ length: 300 }, (_, n) => ({ name: 'job', input: { n } })))
    await waitFor('done on every peer', () => ids.every(id => ['a', 'b', 'c'].every(p => c.service(p).get(id)?.state === 'done')), 10_000)
    const messages = c.bus.published - published
    expect(messages).toBeGreaterThan(0)
    expect(messages).toBeLessThan(60)
  })
})
