// Several TaskServices in one process: "any" tasks run once across the
// cluster, "all" tasks once per peer, and idempotency keys collapse copies.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTask } from '../../src/tasks/define.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

describe('a cluster of three task services', () => {
  it('runs 1,000 "any" tasks enqueued across the peers exactly once each', async () => {
    const runs = new Map<number, string[]>()
    cluster = await Cluster.start({
      definitions: (peer) => [defineTask({
        name: 'work', scope: 'any', input: z.object({ n: z.number() }),
        run: (_ctx, { n }) => { runs.set(n, [...(runs.get(n) ?? []), peer]) },
      })],
      init: { concurrency: 4 },
    })
    const c = cluster
    const started = performance.now()
    const ids = await Promise.all(Array.from({ length: 1000 }, (_, n) => c.service('abc'[n % 3]!).enqueue('work', { n })))
    expect(new Set(ids).size).toBe(1000)
    await waitFor('1000 runs', () => runs.size === 1000, 20_000)
    const elapsed = performance.now() - started
    await waitFor('every peer sees 1000 done', () => ['a', 'b', 'c'].every(p => c.service(p).list({ state: 'done' }).length === 1000), 10_000)
    expect([...runs.values()].filter(peers => peers.length !== 1)).toEqual([])
    const perPeer = ['a', 'b', 'c'].map(p => [...runs.values()].filter(x => x[0] === p).length)
    expect(perPeer.every(k => k > 200)).toBe(true)
    console.log(`1000 any tasks: enqueued and run in ${elapsed.toFixed(0)} ms; per peer ${perPeer.join('/')}`)
  })

  it('runs an "all" task once on every peer and records each outcome', async () => {
    const ran: string[] = []
    cluster = await Cluster.start({
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({}), run: () => { ran.push(peer) } })],
    })
    const c = cluster
    const id = await c.service('b').enqueue('flush', {})
    await waitFor('three runs', () => ran.length === 3)
    await waitFor('done everywhere', () => ['a', 'b', 'c'].every(p => c.service(p).get(id)?.state === 'done'))
    expect(ran.sort()).toEqual(['a', 'b', 'c'])
    const record = c.service('a').get(id)!
    expect(record.attempts.map(a => [a.peer, a.outcome]).sort()).toEqual([['a', 'ok'], ['b', 'ok'], ['c', 'ok']])
  })

  it('retries a failed "all" attempt on its own peer at its retry time, among many "all" tasks already run there', async () => {
    const ran: string[] = []
    cluster = await Cluster.start({
      definitions: (peer) => [
        defineTask({ name: 'flush', scope: 'all', input: z.object({}), run: () => {} }),
        defineTask({
          name: 'shaky', scope: 'all', input: z.object({}), retry: { attempts: 2, backoffMs: 100, backoffFactor: 1 },
          run: () => {
            ran.push(peer)
            if (ran.filter(p => p === peer).length === 1) throw new Error(`first try on ${peer} fails`)
          },
        }),
      ],
    })
    const c = cluster
    // Settled "all" tasks stay active for an hour; the runner must still find the one that is due again.
    const done = await Promise.all(Array.from({ length: 20 }, () => c.service('a').enqueue('flush', {})))
    await waitFor('20 done everywhere', () => done.every(id => ['a', 'b', 'c'].every(p => c.service(p).get(id)?.state === 'done')))
    const id = await c.service('c').enqueue('shaky', {})
    await waitFor('done everywhere after retries', () => ['a', 'b', 'c'].every(p => c.service(p).get(id)?.state === 'done'), 10_000)
    expect(ran.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c'])
    const outcomes = c.service('b').get(id)!.attempts.map(a => `${a.peer}:${a.outcome}`).sort()
    expect(outcomes).toEqual(['a:error', 'a:ok', 'b:error', 'b:ok', 'c:error', 'c:ok'])
  })

  it('gives the same id for the same idempotency key on any peer, and runs the task once', async () => {
    let runs = 0
    cluster = await Cluster.start({
      definitions: () => [defineTask({ name: 'mail', scope: 'any', input: z.object({ to: z.string() }), run: () => { runs++ } })],
    })
    const c = cluster
    const [x, y] = await Promise.all([
      c.service('a').enqueue('mail', { to: 'ann' }, { idempotencyKey: 'signup-42', delayMs: 50 }),
      c.service('b').enqueue('mail', { to: 'ann' }, { idempotencyKey: 'signup-42', delayMs: 50 }),
    ])
    expect(x).toBe(y)
    await waitFor('done', () => c.service('c').get(x)?.state === 'done')
    const again = await c.service('c').enqueue('mail', { to: 'ann' }, { idempotencyKey: 'signup-42' })
    expect(again).toBe(x)
    await new Promise(r => setTimeout(r, 100))
    expect(runs).toBe(1)
    expect(await c.service('a').enqueue('mail', { to: 'ann' }, { idempotencyKey: 'signup-43' })).not.toBe(x)
  })
})
