// enqueueMany: a batch is checked item by item before anything is stored,
// keys dedupe within and across batches, limits are enforced, and a batch is
// durable (on a replica, the partition's holder first) when it resolves.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ENQUEUE_MANY_BYTES_MAX, ENQUEUE_MANY_ITEMS_MAX } from '../../src/tasks/constants.js'
import { defineTask } from '../../src/tasks/define.js'
import { ValidationError } from '../../src/tasks/errors.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

const runs = new Map<number, string[]>()

async function start(init = {}): Promise<Cluster> {
  runs.clear()
  cluster = await Cluster.start({
    definitions: (peer) => [
      defineTask({ name: 'work', scope: 'any', input: z.object({ n: z.number() }), run: (_ctx, { n }) => { runs.set(n, [...(runs.get(n) ?? []), peer]) } }),
      defineTask({ name: 'blob', scope: 'any', input: z.object({ s: z.string() }), run: () => {} }),
      // An async refinement: checked with a promise, beside the synchronous schemas of the same batch.
      defineTask({ name: 'slow', scope: 'any', input: z.object({ n: z.number() }).refine(async ({ n }) => { await new Promise(r => setTimeout(r, 1)); return n >= 0 }, 'n must be >= 0'), run: () => {} }),
    ],
    init: { concurrency: 8, ...init },
  })
  return cluster
}

async function rejection(p: Promise<unknown>): Promise<ValidationError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(ValidationError)
  return err as ValidationError
}

describe('enqueueMany', () => {
  it('checks async and sync schemas of one batch together, naming each bad item', async () => {
    const c = await start()
    const err = await rejection(c.service('a').enqueueMany([
      { name: 'slow', input: { n: 1 } }, { name: 'slow', input: { n: -1 } }, { name: 'work', input: { n: 'x' } }, { name: 'slow', input: {} },
    ]))
    expect(err.fields.map(f => f.path.join('.'))).toEqual(['1.input', '2.input.n', '3.input.n'])
    expect(c.service('a').list()).toEqual([])
    const ids = await c.service('a').enqueueMany([{ name: 'slow', input: { n: 2 } }, { name: 'work', input: { n: 3 } }])
    expect(ids).toHaveLength(2)
    await expect(c.service('a').enqueue('slow', { n: -5 })).rejects.toBeInstanceOf(ValidationError)
  })

  it('stores a batch, answers the ids in item order, and every task runs once', async () => {
    const c = await start()
    const items = Array.from({ length: 300 }, (_, n) => ({ name: 'work', input: { n } }))
    const ids = await c.service('a').enqueueMany(items)
    expect(ids).toHaveLength(300)
    expect(new Set(ids).size).toBe(300)
    expect(c.service('a').get(ids[7]!)?.input).toEqual({ n: 7 })
    await waitFor('300 runs', () => runs.size === 300, 20_000)
    expect([...runs.values()].filter(p => p.length !== 1)).toEqual([])
  })

  it('is durable on another peer when it resolves, without gossip: the put goes to each partition\'s holder', async () => {
    const c = await start()
    c.bus.detach('a')
    const ids = await c.service('a').enqueueMany(Array.from({ length: 60 }, (_, n) => ({ name: 'work', input: { n } })))
    for (const id of ids) {
      const p = c.service('a').get(id)!.partition
      const holder = c.assignment.holder(p)!
      // The holder has it (as the replica, or as the creator when it is 'a'): it runs without waiting for gossip or sync.
      expect(c.service(holder).get(id), `holder ${holder} of ${id}`).toBeDefined()
      expect(['b', 'c'].some(peer => c.service(peer).get(id) !== undefined)).toBe(true)
    }
    await waitFor('60 runs without gossip', () => runs.size === 60, 20_000)
  })

  it('checks every item first and names each bad one; nothing is stored', async () => {
    const c = await start()
    const s = c.service('b')
    const err = await rejection(s.enqueueMany([
      { name: 'work', input: { n: 1 } },
      { name: 'work', input: { n: 'two' } },
      { name: 'nope', input: {} },
      { name: 'work', input: { n: 3 }, options: { delayMs: -5 } },
      5 as unknown as { name: string, input: unknown },
    ]))
    const paths = err.fields.map(f => f.path.join('.'))
    expect(paths).toEqual(['1.input.n', '2.name', '3.options.delayMs', '4'])
    expect(err.fields[1]!.message).toContain('"nope"')
    expect(err.message).toContain('1.input.n')
    expect(s.list()).toEqual([])
    await expect(s.enqueueMany('x' as never)).rejects.toThrow(/expected an array/)
  })

  it('items with the same idempotency key are one task, in a batch and across batches', async () => {
    const c = await start()
    const ids = await c.service('a').enqueueMany([
      { name: 'work', input: { n: 1 }, options: { idempotencyKey: 'k1' } },
      { name: 'work', input: { n: 2 } },
      { name: 'work', input: { n: 3 }, options: { idempotencyKey: 'k1' } },
    ])
    expect(ids[0]).toBe(ids[2])
    expect(ids[1]).not.toBe(ids[0])
    expect(c.service('a').get(ids[0]!)?.input).toEqual({ n: 1 })
    const again = await c.service('b').enqueueMany([{ name: 'work', input: { n: 4 }, options: { idempotencyKey: 'k1' } }])
    expect(again).toEqual([ids[0]])
    expect(await c.service('c').enqueue('work', { n: 5 }, { idempotencyKey: 'k1' })).toBe(ids[0])
    await waitFor('both tasks ran', () => runs.size === 2, 10_000)
    expect([...runs.keys()].sort()).toEqual([1, 2])
    expect(runs.get(1)).toHaveLength(1)
  })

  it('refuses batches over ENQUEUE_MANY_ITEMS_MAX tasks or ENQUEUE_MANY_BYTES_MAX bytes of inputs', async () => {
    const c = await start()
    const s = c.service('a')
    const tooMany = Array.from({ length: ENQUEUE_MANY_ITEMS_MAX + 1 }, (_, n) => ({ name: 'work', input: { n } }))
    expect((await rejection(s.enqueueMany(tooMany))).message).toContain('ENQUEUE_MANY_ITEMS_MAX')
    const big = 'x'.repeat(200 * 1024)
    const heavy = Array.from({ length: Math.ceil(ENQUEUE_MANY_BYTES_MAX / big.length) + 1 }, () => ({ name: 'blob', input: { s: big } }))
    expect((await rejection(s.enqueueMany(heavy))).message).toContain('ENQUEUE_MANY_BYTES_MAX')
    expect(s.list()).toEqual([])
    // Just under the byte limit: stored, and replicated in requests that each stay under the frame limit.
    const fits = heavy.slice(0, 5)
    expect(await s.enqueueMany(fits)).toHaveLength(5)
  })

  it('rejects with the signal\'s reason when aborted while waiting for replicas; the tasks stay stored', async () => {
    const c = await start()
    c.kill('b')
    c.kill('c')
    c.live.add('b') // 'b' looks alive but cannot be reached: the acks never come
    const controller = new AbortController()
    const pending = c.service('a').enqueueMany([{ name: 'work', input: { n: 1 } }, { name: 'work', input: { n: 2 } }], { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('caller gave up')), 50)
    await expect(pending).rejects.toThrow('caller gave up')
    expect(c.service('a').list()).toHaveLength(2)
  })
})
