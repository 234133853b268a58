// Start and stop, graceful and not; partition loss and lease deadlines.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTask } from '../../src/tasks/define.js'
import { PartitionLostError, TaskServiceStoppingError } from '../../src/tasks/errors.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

const input = z.object({ ms: z.number() })
const sleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms)
  signal.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason) }, { once: true })
})

describe('task service lifecycle', () => {
  it('start twice is harmless; stop before start and twice is harmless; a stopped service refuses work', async () => {
    cluster = await Cluster.start({ peers: 1, definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => {} })] })
    const s = cluster.service('a')
    await s.start()
    await s.stop()
    await s.stop()
    await expect(s.enqueue('x', { ms: 0 })).rejects.toThrow(/not running/)
  })

  it('graceful stop lets a running task finish within the deadline', async () => {
    const ends: string[] = []
    cluster = await Cluster.start({
      peers: 1, definitions: () => [defineTask({ name: 'w', scope: 'any', input, run: async (ctx, { ms }) => { starts++; await sleep(ms, ctx.signal); ends.push('ok') } })],
    })
    let starts = 0
    const s = cluster.service('a')
    const id = await s.enqueue('w', { ms: 100 })
    // A run this short writes its start and end together: the handler, not the record, says it is running.
    await waitFor('running', () => starts === 1)
    await cluster.stop('a', 2_000)
    expect(ends).toEqual(['ok'])
    await cluster.open('a', cluster.peer('a').dir)
    expect(cluster.service('a').get(id)?.state).toBe('done')
  })

  it('stop aborts what is still running at the deadline; the task runs again after restart', async () => {
    const reasons: unknown[] = []
    let runs = 0
    cluster = await Cluster.start({
      peers: 1,
      definitions: () => [defineTask({
        name: 'w', scope: 'any', input,
        run: async (ctx, { ms }) => { runs++; await sleep(runs === 1 ? ms : 0, ctx.signal).catch((e: unknown) => { reasons.push(e); throw e }) },
      })],
    })
    const s = cluster.service('a')
    const id = await s.enqueue('w', { ms: 60_000 })
    await waitFor('running', () => s.get(id)?.state === 'running')
    await cluster.stop('a', 50)
    expect(reasons[0]).toBeInstanceOf(TaskServiceStoppingError)
    await cluster.open('a', cluster.peer('a').dir)
    await waitFor('done after restart', () => cluster!.service('a').get(id)?.state === 'done')
    expect(cluster.service('a').get(id)!.attempts.map(a => a.outcome)).toEqual(['aborted', 'ok'])
  })

  it('losing the partition aborts the handler; the new holder runs the task with a new fence', async () => {
    const starts: Array<[string, string | undefined]> = []
    const reasons: unknown[] = []
    cluster = await Cluster.start({
      peers: 2,
      definitions: (peer) => [defineTask({
        name: 'w', scope: 'any', input,
        run: async (ctx, { ms }) => {
          starts.push([peer, ctx.fence])
          await sleep(starts.length === 1 ? ms : 0, ctx.signal).catch((e: unknown) => { reasons.push(e); throw e })
        },
      })],
    })
    const c = cluster
    const id = await c.service('a').enqueue('w', { ms: 60_000 })
    await waitFor('running', () => starts.length === 1)
    const [holder] = starts[0]!
    const other = holder === 'a' ? 'b' : 'a'
    c.assignment.move(c.service('a').get(id)!.partition, other)
    await waitFor('aborted', () => reasons.length === 1)
    expect(reasons[0]).toBeInstanceOf(PartitionLostError)
    await waitFor('done on the new holder', () => c.service(other).get(id)?.state === 'done')
    expect(starts.map(s => s[0])).toEqual([holder, other])
    expect(starts[0]![1]).not.toBe(starts[1]![1])
    await waitFor('both attempts known to the old holder', () => c.service(holder).get(id)?.state === 'done')
    expect(c.service(holder).get(id)!.attempts.map(a => [a.peer, a.outcome])).toEqual([[holder, 'lost'], [other, 'ok']])
  })

  it('does not start a task when the grant is past its validUntil', async () => {
    let runs = 0
    cluster = await Cluster.start({ peers: 1, definitions: () => [defineTask({ name: 'x', scope: 'any', input, run: () => { runs++ } })] })
    const claims = cluster.assignment.claimsFor('a')
    const held = claims.held.bind(claims)
    claims.held = (p) => { const g = held(p); return g === undefined ? undefined : { ...g, validUntil: 0 } }
    await cluster.service('a').enqueue('x', { ms: 0 })
    await new Promise(r => setTimeout(r, 100))
    expect(runs).toBe(0)
    claims.held = held
    cluster.assignment.move(0, 'a') // any claims change pumps the runner
    claims.emit({ type: 'acquired', partition: 0, fence: 'f' })
    await waitFor('ran once the grant is valid', () => runs === 1)
  })
})
