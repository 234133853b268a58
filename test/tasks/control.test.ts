// Cancel, retry, delete, list; validation at enqueue; retries with backoff;
// periodic tasks; collection of finished records.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTask } from '../../src/tasks/define.js'
import { TaskCancelledError, TaskStateError, UnknownTaskError, ValidationError } from '../../src/tasks/errors.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

const input = z.object({ n: z.number() })

describe('task control', () => {
  it('cancel from another peer fires the running handler\'s signal', async () => {
    let seen: unknown
    let runner = ''
    cluster = await Cluster.start({
      definitions: (peer) => [defineTask({
        name: 'wait', scope: 'any', input,
        run: (ctx) => new Promise((_, reject) => {
          runner = peer
          ctx.signal.addEventListener('abort', () => { seen = ctx.signal.reason; reject(ctx.signal.reason) })
        }),
      })],
    })
    const c = cluster
    const id = await c.service('a').enqueue('wait', { n: 1 })
    await waitFor('running', () => runner !== '')
    const other = ['a', 'b', 'c'].find(p => p !== runner)!
    await waitFor('the other peer sees it', () => c.service(other).get(id) !== undefined)
    await c.service(other).cancel(id)
    await waitFor('handler aborted', () => seen !== undefined)
    expect(seen).toBeInstanceOf(TaskCancelledError)
    await waitFor('cancelled on the runner with the attempt recorded', () => c.service(runner).get(id)?.attempts[0]?.outcome === 'cancelled')
    expect(c.service(runner).get(id)?.state).toBe('cancelled')
    await expect(c.service(runner).cancel(id)).rejects.toBeInstanceOf(TaskStateError)
  })

  it('cancels a pending task: it never runs', async () => {
    let runs = 0
    cluster = await Cluster.start({ definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => { runs++ } })] })
    const c = cluster
    const id = await c.service('a').enqueue('x', { n: 1 }, { delayMs: 60_000 })
    await waitFor('known to c', () => c.service('c').get(id) !== undefined)
    expect((await c.service('c').cancel(id)).state).toBe('cancelled')
    await waitFor('cancelled everywhere', () => ['a', 'b', 'c'].every(p => c.service(p).get(id)?.state === 'cancelled'))
    c.clock.advance(60_010)
    await new Promise(r => setTimeout(r, 100))
    expect(runs).toBe(0)
    expect(c.service('a').list({ state: 'cancelled' }).map(r => r.id)).toEqual([id])
  })

  it('pause: a paused peer starts no task ("any" or "all") while tasks arrive and wait; resume starts them', async () => {
    const ran: string[] = []
    let release = (): void => {}
    const held = new Promise<void>((resolve) => { release = resolve })
    cluster = await Cluster.start({
      definitions: (peer) => [
        defineTask({ name: 'slow', scope: 'any', input, run: async () => { ran.push(`slow@${peer}`); await held } }),
        defineTask({ name: 'one', scope: 'any', input, run: (_ctx, { n }) => { ran.push(`one:${n}@${peer}`) } }),
        defineTask({ name: 'every', scope: 'all', input, run: () => { ran.push(`every@${peer}`) } }),
      ],
    })
    const c = cluster
    // An attempt under way when its peer pauses runs to its end.
    await c.service('a').enqueue('slow', { n: 0 })
    await waitFor('slow started', () => ran.length === 1)
    for (const p of ['a', 'b', 'c']) c.service(p).pause()
    expect(['a', 'b', 'c'].map(p => c.service(p).paused)).toEqual([true, true, true])
    expect(c.service('a').status().paused).toBe(true)
    const ids = await c.service('b').enqueueMany([0, 1, 2, 3, 4, 5].map(n => ({ name: 'one', input: { n } })))
    await c.service('c').enqueue('every', { n: 0 })
    release()
    await waitFor('slow done everywhere', () => ['a', 'b', 'c'].every(p => c.service(p).list({ state: 'done' }).length === 1))
    // Stored everywhere, and still not run a while later.
    await waitFor('the new tasks on every peer', () => ['a', 'b', 'c'].every(p => ids.every(id => c.service(p).get(id)?.state === 'pending')))
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(ran).toEqual([expect.stringMatching(/^slow@/)])
    for (const p of ['a', 'b', 'c']) c.service(p).resume()
    await waitFor('every task run', () => ran.length === 1 + 6 + 3)
    expect(ran.filter(r => r.startsWith('one:')).map(r => r.split('@')[0]).sort()).toEqual([0, 1, 2, 3, 4, 5].map(n => `one:${n}`))
    expect(ran.filter(r => r.startsWith('every@')).sort()).toEqual(['every@a', 'every@b', 'every@c'])
    expect(c.service('a').paused).toBe(false)
  })

  it('a backlog of short tasks runs over many turns of the event loop, not in one', async () => {
    // Each handler returns at once after ~0.1 ms of work: 2,000 of them are ~200 ms of running, which the runner
    // splits into turns of at most TURN_RUN_MS (50 ms); in one turn, nothing else (timers, I/O) would run meanwhile.
    let ran = 0
    const spin = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end) { /* work */ } }
    cluster = await Cluster.start({ peers: 1, init: { concurrency: 50 }, definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => { spin(0.1); ran++ } })] })
    const s = cluster.service('a')
    s.pause()
    const total = 2_000
    for (let i = 0; i < total; i += 500) await s.enqueueMany(Array.from({ length: 500 }, (_, j) => ({ name: 'x', input: { n: i + j } })))
    // What a timer sees between turns while the backlog runs.
    const seen: number[] = []
    const ticker = setInterval(() => { seen.push(ran) }, 1)
    s.resume()
    try {
      await waitFor('every task run', () => ran === total, 30_000)
    } finally {
      clearInterval(ticker)
    }
    const midway = seen.filter(n => n > 0 && n < total)
    expect(new Set(midway).size).toBeGreaterThanOrEqual(2)
  })

  it('runs due tasks by priority, then by due time', async () => {
    const order: number[] = []
    cluster = await Cluster.start({ peers: 1, definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: (_c, { n }) => { order.push(n) } })] })
    const s = cluster.service('a')
    const at = cluster.clock.wallNow() + 60_000
    await s.enqueue('x', { n: 1 }, { runAt: at + 2 })
    await s.enqueue('x', { n: 2 }, { runAt: at + 1 })
    await s.enqueue('x', { n: 3 }, { runAt: at + 3, priority: 10 })
    await s.enqueue('x', { n: 4 }, { runAt: at, priority: -1 })
    cluster.clock.advance(60_010)
    await waitFor('all four', () => order.length === 4)
    expect(order).toEqual([3, 2, 1, 4])
  })

  it('refuses invalid input and unknown names at enqueue', async () => {
    cluster = await Cluster.start({ peers: 1, definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })] })
    const s = cluster.service('a')
    const err = await s.enqueue('x', { n: 'one' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).status).toBe(422)
    expect((err as ValidationError).fields[0]?.path).toEqual(['n'])
    await expect(s.enqueue('nope', {})).rejects.toBeInstanceOf(UnknownTaskError)
    await expect(s.enqueue('x', { n: 1 }, { delayMs: -1 })).rejects.toBeInstanceOf(ValidationError)
    // Which of the two wins would be a guess: both is refused.
    const both = await s.enqueue('x', { n: 1 }, { delayMs: 10, runAt: 1 }).catch((e: unknown) => e)
    expect((both as ValidationError).fields).toEqual([{ path: ['runAt'], message: 'give delayMs or runAt, not both' }])
    const late = await s.enqueue('x', { n: 1 }, { timeoutMs: Number.NaN }).catch((e: unknown) => e)
    expect((late as ValidationError).fields).toEqual([{ path: ['timeoutMs'], message: 'must be a finite number of ms >= 0, got NaN' }])
    expect(s.list()).toEqual([])
  })

  it('retries with backoff, then fails and keeps the record; retry() runs it again', async () => {
    let calls = 0
    let healthy = false
    const attemptsSeen: number[] = []
    cluster = await Cluster.start({
      peers: 2,
      definitions: () => [defineTask({
        name: 'flaky', scope: 'any', input, retry: { attempts: 3, backoffMs: 1000, backoffFactor: 2 },
        run: (ctx) => { calls++; attemptsSeen.push(ctx.attempt); if (!healthy) throw new Error(`boom ${calls}`) },
      })],
    })
    const c = cluster
    const id = await c.service('a').enqueue('flaky', { n: 1 })
    await waitFor('first failure', () => calls === 1)
    await waitFor('pending again', () => ['a', 'b'].every(p => { const r = c.service(p).get(id); return r?.state === 'pending' && r.attempts.length === 1 }))
    const r1 = c.service('a').get(id)!
    expect(r1.runAt - r1.attempts[0]!.endedAt!).toBe(1000)
    c.clock.advance(1005)
    await waitFor('second failure', () => calls === 2)
    await waitFor('pending with a longer delay', () => { const r = c.service('a').get(id); return r?.state === 'pending' && r.attempts.length === 2 && r })
    const r2 = c.service('a').get(id)!
    expect(r2.runAt - r2.attempts[1]!.endedAt!).toBe(2000)
    c.clock.advance(2005)
    await waitFor('failed for good, on both peers', () => ['a', 'b'].every(p => c.service(p).get(id)?.state === 'failed'))
    expect(calls).toBe(3)
    expect(c.service('b').get(id)?.error?.message).toBe('boom 3')
    expect(c.service('a').list({ state: 'failed' }).map(r => r.id)).toEqual([id])
    healthy = true
    await c.service('b').retry(id)
    await waitFor('done after retry', () => c.service('a').get(id)?.state === 'done')
    expect(c.service('a').get(id)!.attempts.map(a => [a.round, a.outcome])).toEqual([[0, 'error'], [0, 'error'], [0, 'error'], [1, 'ok']])
    await expect(c.service('a').retry(id)).rejects.toBeInstanceOf(TaskStateError)
    expect(attemptsSeen).toEqual([1, 2, 3, 1])
  })

  it('deletes a task everywhere', async () => {
    cluster = await Cluster.start({ definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })] })
    const c = cluster
    const id = await c.service('a').enqueue('x', { n: 1 }, { delayMs: 60_000 })
    await waitFor('everywhere', () => ['a', 'b', 'c'].every(p => c.service(p).get(id) !== undefined))
    await c.service('b').delete(id)
    await waitFor('gone everywhere', () => ['a', 'b', 'c'].every(p => c.service(p).get(id) === undefined))
    expect(c.service('c').list({ deleted: true }).map(r => r.id)).toEqual([id])
    c.clock.advance(60_000)
    await new Promise(r => setTimeout(r, 50))
    expect(c.service('a').list({ state: 'done' })).toEqual([])
  })

  it('collects finished records after the retention', async () => {
    cluster = await Cluster.start({
      peers: 2,
      definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })],
      init: { retentionMs: 10_000, syncIntervalMs: 5_000, collectIntervalMs: 1_000 },
    })
    const c = cluster
    const id = await c.service('a').enqueue('x', { n: 1 })
    await waitFor('done on both', () => ['a', 'b'].every(p => c.service(p).get(id)?.state === 'done'))
    c.clock.advance(5_000)
    await new Promise(r => setTimeout(r, 50))
    expect(c.service('a').get(id)).toBeDefined()
    c.clock.advance(6_000)
    await waitFor('collected on both', () => ['a', 'b'].every(p => c.service(p).list().length === 0))
  })
})

describe('periodic tasks', () => {
  it('runs an "any" task once per period across the cluster and an "all" task on every peer each period', async () => {
    const anyRuns: string[] = []
    const allRuns: string[] = []
    cluster = await Cluster.start({
      definitions: (peer) => [
        defineTask({ name: 'tick', scope: 'any', input: z.object({}), frequencyMs: 60_000, run: (ctx) => { anyRuns.push(ctx.taskId) } }),
        defineTask({ name: 'sweep', scope: 'all', input: z.object({}), frequencyMs: 60_000, run: (ctx) => { allRuns.push(`${peer} ${ctx.taskId}`) } }),
      ],
      // Periods are wall-clock minutes: start 10 ms into one, so real time does not reach the next before the test moves the clock.
      startAt: now => Math.ceil(now / 60_000) * 60_000 + 10,
    })
    const c = cluster
    await waitFor('first period', () => anyRuns.length === 1 && allRuns.length === 3)
    c.clock.advance(60_000)
    await waitFor('second period', () => anyRuns.length === 2 && allRuns.length === 6)
    c.clock.advance(60_000)
    await waitFor('third period', () => anyRuns.length === 3 && allRuns.length === 9)
    await new Promise(r => setTimeout(r, 100))
    expect(new Set(anyRuns).size).toBe(3)
    expect(new Set(allRuns).size).toBe(9)
    expect(anyRuns.every(id => /^tick@\d+$/.test(id))).toBe(true)
  })

  it('runs cron tasks at their firing minutes: "any" once, "all" on every peer', async () => {
    const anyRuns: string[] = []
    const allRuns: string[] = []
    cluster = await Cluster.start({
      definitions: (peer) => [
        defineTask({ name: 'report', scope: 'any', input: z.object({}), cron: '*/5 * * * *', run: (ctx) => { anyRuns.push(ctx.taskId) } }),
        defineTask({ name: 'rotate', scope: 'all', input: z.object({}), cron: '*/5 * * * *', run: (ctx) => { allRuns.push(`${peer} ${ctx.taskId}`) } }),
      ],
    })
    const c = cluster
    const fire1 = Math.ceil((c.clock.wallNow() + 1) / 300_000) * 300_000
    // A few ms past the firing: the clock's wall and monotonic readings differ by fractions of a ms.
    c.clock.advance(fire1 - c.clock.wallNow() + 10)
    await waitFor('first firing', () => anyRuns.includes(`report@m${fire1 / 60_000}`) && allRuns.filter(r => r.endsWith(`rotate@m${fire1 / 60_000}`)).length === 3)
    c.clock.advance(120_000)
    await new Promise(r => setTimeout(r, 50))
    c.clock.advance(180_000)
    const fire2 = fire1 + 300_000
    await waitFor('second firing', () => anyRuns.includes(`report@m${fire2 / 60_000}`) && allRuns.filter(r => r.endsWith(`rotate@m${fire2 / 60_000}`)).length === 3)
    await new Promise(r => setTimeout(r, 50))
    expect(new Set(anyRuns).size).toBe(anyRuns.length)
    expect(new Set(allRuns).size).toBe(allRuns.length)
    expect(anyRuns.filter(id => id !== `report@m${fire1 / 60_000}` && id !== `report@m${fire2 / 60_000}`).length).toBeLessThanOrEqual(1)
  })
})
