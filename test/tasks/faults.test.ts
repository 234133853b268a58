// Crashes, restarts, lost gossip and unreachable replicas.
import { pack } from 'msgpackr'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { hashPartition } from '../../src/tasks/claims.js'
import { WIRE_VERSION } from '../../src/tasks/constants.js'
import { defineTask } from '../../src/tasks/define.js'
import { NotReplicatedError } from '../../src/tasks/errors.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

const input = z.object({ n: z.number() })

describe('task plane under faults', () => {
  it('runs a task again on the new holder when its holder dies mid-task', async () => {
    const starts: Array<{ peer: string, fence: string | undefined }> = []
    let release: () => void = () => {}
    const blocked = new Promise<void>(r => { release = r })
    cluster = await Cluster.start({
      definitions: (peer) => [defineTask({
        name: 'slow', scope: 'any', input,
        run: async (ctx) => {
          starts.push({ peer, fence: ctx.fence })
          if (starts.length === 1) await blocked // the first holder hangs, ignoring its signal, until it "dies"
        },
      })],
    })
    const c = cluster
    const id = await c.service('a').enqueue('slow', { n: 1 })
    await waitFor('first start', () => starts.length === 1)
    const first = starts[0]!.peer
    await waitFor('others see it running', () => ['a', 'b', 'c'].every(p => p === first || c.service(p).get(id)?.state === 'running'))
    c.kill(first)
    await waitFor('second start on another peer', () => starts.length === 2)
    expect(starts[1]!.peer).not.toBe(first)
    expect(starts[1]!.fence).not.toBe(starts[0]!.fence)
    const survivor = starts[1]!.peer
    await waitFor('done on the survivor', () => c.service(survivor).get(id)?.state === 'done')
    const attempts = c.service(survivor).get(id)!.attempts
    expect(attempts.map(a => [a.peer, a.outcome])).toEqual([[first, 'lost'], [survivor, 'ok']])
    release()
  })

  it('finishes pending tasks after every peer stops and restarts on the same stores', async () => {
    const ran = new Set<number>()
    cluster = await Cluster.start({
      definitions: () => [defineTask({ name: 'later', scope: 'any', input, run: (_ctx, { n }) => { ran.add(n) } })],
    })
    const c = cluster
    for (let n = 0; n < 30; n++) await c.service('abc'[n % 3]!).enqueue('later', { n }, { delayMs: 60_000 })
    for (const p of ['a', 'b', 'c']) await c.stop(p)
    expect(ran.size).toBe(0)
    for (const p of ['a', 'b', 'c']) await c.open(p, c.peer(p).dir)
    c.clock.advance(60_010)
    await waitFor('30 runs after restart', () => ran.size === 30)
  })

  it('fires delayed tasks on time, not before', async () => {
    const ranAt: number[] = []
    cluster = await Cluster.start({
      definitions: () => [defineTask({ name: 'remind', scope: 'any', input, run: () => { ranAt.push(cluster!.clock.wallNow()) } })],
    })
    const c = cluster
    const due = c.clock.wallNow() + 5 * 60_000
    await c.service('a').enqueue('remind', { n: 1 }, { runAt: due })
    await c.service('b').enqueue('remind', { n: 2 }, { delayMs: 10 * 60_000 })
    await new Promise(r => setTimeout(r, 100))
    c.clock.advance(4 * 60_000)
    await new Promise(r => setTimeout(r, 100))
    expect(ranAt).toEqual([])
    c.clock.advance(60_000)
    await waitFor('first reminder', () => ranAt.length === 1)
    expect(ranAt[0]).toBeGreaterThanOrEqual(due)
    c.clock.advance(5 * 60_000)
    await waitFor('second reminder', () => ranAt.length === 2)
  })

  it('resolves enqueue only after a replica acked: keeps trying within the deadline, then rejects', async () => {
    cluster = await Cluster.start({
      definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })],
    })
    const c = cluster
    c.net.cut('a', 'b')
    c.net.cut('a', 'c')
    const err = await c.service('a').enqueue('x', { n: 1 }, { timeoutMs: 400, idempotencyKey: 'k1' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NotReplicatedError)
    const id = (err as NotReplicatedError & { details: { id: string } }).details.id
    expect(c.service('a').get(id)).toBeDefined() // stored here, not yet anywhere else

    const pending = c.service('a').enqueue('x', { n: 2 }, { timeoutMs: 5_000 })
    let resolved = false
    void pending.then(() => { resolved = true })
    await new Promise(r => setTimeout(r, 300))
    expect(resolved).toBe(false)
    c.net.heal()
    const id2 = await pending
    expect(['b', 'c'].some(p => c.service(p).get(id2) !== undefined)).toBe(true)
    // Retrying the first with its key now succeeds and returns the same id.
    expect(await c.service('a').enqueue('x', { n: 1 }, { idempotencyKey: 'k1' })).toBe(id)
  })

  it('enqueue tries the next replica when the member list still names a dead peer', async () => {
    cluster = await Cluster.start({ definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })] })
    const c = cluster
    c.net.cut('a', 'b') // b looks alive to a, but cannot be reached
    const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => c.service('a').enqueue('x', { n }, { delayMs: 60_000 })))
    expect(ids.every(id => c.service('c').get(id) !== undefined)).toBe(true)
  })

  it('enqueue stops waiting when its signal aborts', async () => {
    cluster = await Cluster.start({ definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })] })
    const c = cluster
    c.net.cut('a', 'b')
    c.net.cut('a', 'c')
    const controller = new AbortController()
    const pending = c.service('a').enqueue('x', { n: 1 }, { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('caller gave up')), 50)
    await expect(pending).rejects.toThrow('caller gave up')
  })

  it('a peer that missed the gossip catches up through sync', async () => {
    cluster = await Cluster.start({
      definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })],
      init: { syncIntervalMs: 200, retentionMs: 60_000 },
    })
    const c = cluster
    c.bus.dropping = true
    const ids = await Promise.all(Array.from({ length: 50 }, (_, n) => c.service('a').enqueue('x', { n }, { delayMs: 3_600_000 })))
    // Each record reached a replica by request; none went by gossip.
    const seen = (p: string): number => ids.filter(id => c.service(p).get(id) !== undefined).length
    expect(ids.every(id => c.service('b').get(id) !== undefined || c.service('c').get(id) !== undefined)).toBe(true)
    expect(c.bus.published).toBe(0)
    await waitFor('b and c hold all 50 via sync', () => seen('b') === 50 && seen('c') === 50, 10_000)
  })

  it('sync pages both ways and converges the digests', async () => {
    cluster = await Cluster.start({
      partitions: 4,
      definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })],
      init: { syncPageRecords: 3, syncIntervalMs: 3_600_000, retentionMs: 7_200_000, replicas: 0, syncSettleMs: 0 },
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    c.bus.dropping = true
    const fromA = await Promise.all(Array.from({ length: 40 }, (_, n) => c.service('a').enqueue('x', { n }, { delayMs: 3_600_000 })))
    const fromC = await Promise.all(Array.from({ length: 10 }, (_, n) => c.service('c').enqueue('x', { n }, { delayMs: 3_600_000 })))
    const result = await c.service('c').syncWith('a')
    expect(result).toMatchObject({ pulled: 40 })
    expect(result.pushed).toBeGreaterThanOrEqual(10)
    expect([...fromA, ...fromC].every(id => c.service('a').get(id) !== undefined && c.service('c').get(id) !== undefined)).toBe(true)
    expect(await c.service('a').syncWith('c')).toEqual({ partitions: 0, pulled: 0, pushed: 0 })
  })

  it('a sync moves only the records that differ, not the partition they are in', async () => {
    cluster = await Cluster.start({
      partitions: 2,
      definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })],
      init: { syncIntervalMs: 3_600_000, retentionMs: 7_200_000, replicas: 0, syncSettleMs: 0 },
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    c.bus.dropping = true
    await c.service('a').enqueueMany(Array.from({ length: 600 }, (_, n) => ({ name: 'x', input: { n }, options: { delayMs: 3_600_000 } })))
    expect(await c.service('c').syncWith('a')).toMatchObject({ pulled: 600, pushed: 0 })
    const one = await c.service('a').enqueue('x', { n: 600 }, { delayMs: 3_600_000 })
    // One new record on a: c pulls it alone, and pushes nothing back.
    expect(await c.service('c').syncWith('a')).toEqual({ partitions: 1, pulled: 1, pushed: 0 })
    expect(c.service('c').get(one)).toBeDefined()
    const mine = await c.service('c').enqueue('x', { n: 601 }, { delayMs: 3_600_000 })
    expect(await c.service('c').syncWith('a')).toEqual({ partitions: 1, pulled: 0, pushed: 1 })
    expect(c.service('a').get(mine)).toBeDefined()
  })

  it('a sync leaves records written within syncSettleMs to gossip, except in the partitions of a handover', async () => {
    cluster = await Cluster.start({
      partitions: 2,
      definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })],
      init: { syncIntervalMs: 3_600_000, retentionMs: 7_200_000, replicas: 0, syncSettleMs: 60_000 },
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    c.bus.dropping = true
    const ids = await c.service('a').enqueueMany(Array.from({ length: 40 }, (_, n) => ({ name: 'x', input: { n }, options: { delayMs: 3_600_000 } })))
    // In flight: the digests do not show them yet.
    expect(await c.service('c').syncWith('a')).toEqual({ partitions: 0, pulled: 0, pushed: 0 })
    // A handover of partition 0 compares it as it is now, and brings its records (and only its).
    const p0 = ids.filter(id => hashPartition(id, 2) === 0)
    expect(p0.length).toBeGreaterThan(0)
    expect(await c.service('c').syncWith('a', { fresh: [0] })).toEqual({ partitions: 1, pulled: p0.length, pushed: 0 })
    expect(ids.filter(id => c.service('c').get(id) !== undefined).sort()).toEqual([...p0].sort())
  })

  it('a sync with a peer whose replies do not move forward ends instead of looping', async () => {
    cluster = await Cluster.start({ peers: 2, definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })] })
    const rogue = cluster.net.messenger('rogue', { logger: { debug: () => {}, warn: () => {} } })
    await rogue.start()
    let summaries = 0
    let pulls = 0
    rogue.handle('tasks/digest', () => ({ partitions: [0] }))
    // Always the same bucket, and a next one: the second reply goes backwards, which ends the partition.
    rogue.handle('tasks/summary', () => { summaries++; return { buckets: [3], ids: ['t-0-0000000000000000'], fps: [1], next: 4 } })
    // Leaves out everything it was asked for, every time: no progress, so one request.
    rogue.handle('tasks/pull', (_from, body) => { pulls++; return { records: [], rest: (body as { ids: string[] }).ids } })
    rogue.handle('tasks/put', () => ({ stored: 0 }))
    const result = await cluster.service('a').syncWith('rogue')
    expect(result.partitions).toBe(1)
    expect(summaries).toBe(2)
    expect(pulls).toBeLessThanOrEqual(1)
    await rogue.stop()
  })

  it('drops garbage and malformed records from the gossip topic without harm', async () => {
    let runs = 0
    cluster = await Cluster.start({ peers: 2, definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => { runs++ } })] })
    const c = cluster
    const rogue = c.bus.attach('rogue')
    await rogue.publish('troupe/tasks/1', new Uint8Array([0xc1, 0xff, 0x00]))
    await rogue.publish('troupe/tasks/1', pack({ v: WIRE_VERSION, peers: ['rogue'], records: [['evil', 'x', 0, 0, {}, 0, 0, 0, 2], 42] }))
    await rogue.publish('troupe/tasks/1', pack({ v: WIRE_VERSION - 1, records: [{ id: 'evil', state: 'done' }] }))
    await new Promise(r => setTimeout(r, 50))
    expect(c.service('a').list()).toEqual([])
    await c.service('a').enqueue('x', { n: 1 })
    await waitFor('still works', () => runs === 1)
  })

  it('a peer that was cut off catches up when it comes back', async () => {
    const ran: string[] = []
    cluster = await Cluster.start({
      definitions: (peer) => [defineTask({ name: 'everyone', scope: 'all', input, run: () => { ran.push(peer) } })],
      init: { syncIntervalMs: 200, retentionMs: 60_000 },
    })
    const c = cluster
    c.bus.detach('c')
    c.net.cut('c', 'a')
    c.net.cut('c', 'b')
    c.live.delete('c')
    await c.service('a').enqueue('everyone', { n: 1 })
    await waitFor('a and b ran it', () => ran.length === 2)
    c.bus.reattach('c')
    c.net.heal()
    c.live.add('c')
    await waitFor('c ran it after catching up', () => ran.includes('c'), 10_000)
    expect(ran.sort()).toEqual(['a', 'b', 'c'])
  })

  it('a peer that starts just after an "all" task was created, and missed its push and gossip, runs it once it has settled', async () => {
    const ran: string[] = []
    // No periodic sync within the test: only the start-up rounds can bring the task.
    cluster = await Cluster.start({
      definitions: (peer) => [defineTask({ name: 'everyone', scope: 'all', input, run: () => { ran.push(peer) } })],
      init: { syncIntervalMs: 3_600_000, syncSettleMs: 1_000, gossipLazyMs: 10, retentionMs: 7_200_000 },
    })
    const c = cluster
    c.kill('c')
    await c.service('a').enqueue('everyone', { n: 1 })
    await waitFor('a and b ran it', () => ran.length === 2)
    await new Promise(r => setTimeout(r, 100)) // the push failed and the gossip left while c was away
    // c restarts: its first round compares settled records only, and this one is younger than syncSettleMs.
    await c.revive('c')
    await waitFor('c ran it', () => ran.includes('c'), 5_000)
    expect(ran.sort()).toEqual(['a', 'b', 'c'])
  })
})
