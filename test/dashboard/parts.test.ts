// The dashboard's parts without a browser: the sampler's ring, the task
// summary, the cluster lease view, the routes and their headers.

import { createHash } from 'node:crypto'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { clusterLeases, dashboardRoutes, taskSummary, Throughput } from '../../src/dashboard/index.js'
import type { PeerStatus } from '../../src/peer/status.js'
import type { TaskRecord } from '../../src/tasks/record.js'
import { fakeTime } from '../helpers/fake-time.js'

function status(id: string, held: number[], members: PeerStatus['members'] = []): PeerStatus {
  return {
    peer: { id, incarnation: 1, addrs: [], httpUrl: `http://${id}` }, app: 'a', version: '0', uptimeMs: 5,
    members, leases: { cfg: 1, voters: [id], voter: true, held: held.map(partition => ({ partition, fence: 'f', validForMs: 100 })) },
    tasks: { running: 0, runningIds: [], warming: [], concurrency: 1, paused: false, open: 0, started: 0, finished: 0, storeCommit: 'inline' },
  }
}

const member = (id: string, state: PeerStatus['members'][number]['state'], self = false): PeerStatus['members'][number] =>
  ({ id, state, self, incarnation: 1, addrs: [], httpUrl: `http://${id}`, hosts: { actors: [], tasks: [] }, version: '0', stateForMs: 0 })

describe('dashboard parts', () => {
  it('samples counters into a bounded ring and reports the filling bucket live', () => {
    const t = fakeTime()
    let tasks = 0
    const th = new Throughput({ clock: t.clock, timers: t.timers, counters: { tasks: () => tasks, requests: () => 2 * tasks }, bucketMs: 10, buckets: 3 })
    th.start()
    for (let i = 1; i <= 5; i++) { tasks += i; t.advance(10) }
    tasks += 7
    expect(th.points().map(p => p.tasks)).toEqual([3, 4, 5, 7])
    expect(th.points().at(-1)!.requests).toBe(14)
    th.stop()
    expect(t.pending()).toBe(0)
  })

  it('shows the counts by state and rows of the newest runs and failures', () => {
    const rec = (id: string, state: TaskRecord['state'], updatedAt: number): TaskRecord => ({
      id, name: 'n', scope: 'any', partition: 0, input: {}, priority: 0, createdAt: 0, creator: 'p', state, round: 0, runAt: 0, version: 1, writer: 'p', updatedAt, deleted: false,
      attempts: state === 'failed' ? [{ key: 'p#0.1', peer: 'p', round: 0, n: 1, startedAt: 1, endedAt: 2, outcome: 'error', error: { name: 'Error', message: 'boom', code: 'E', retryable: false } }] : [],
    })
    const counts = { pending: 1, running: 0, done: 1, failed: 1, cancelled: 0 }
    const s = taskSummary({ counts, total: 3, recent: [rec('b', 'failed', 3), rec('c', 'pending', 2), rec('a', 'done', 1)], failures: [rec('b', 'failed', 3)] })
    expect(s.counts).toEqual(counts)
    expect(s.total).toBe(3)
    expect(s.recent.map(r => r.id)).toEqual(['b', 'c', 'a'])
    expect(s.failures).toEqual([expect.objectContaining({ id: 'b', peer: 'p', attempts: 1, error: 'Error: boom' })])
  })

  it('puts together who holds which partition from every live member, unknown when one does not answer', async () => {
    const self = status('s', [0, 1], [member('s', 'alive', true), member('x', 'alive'), member('y', 'suspect'), member('z', 'dead')])
    const asked: string[] = []
    const view = await clusterLeases(self, 4, async url => {
      asked.push(url)
      if (url === 'http://y') throw new Error('refused')
      return status('x', [3, 9])
    })
    expect(asked.sort()).toEqual(['http://x', 'http://y'])
    expect(view.holders).toEqual(['s', 's', null, 'x'])
    expect(Object.fromEntries(view.held)).toEqual({ s: 2, x: 1, y: null })
  })

  it('serves the page under a CSP that admits its own script by hash, and the state feed', async () => {
    const t = fakeTime()
    const abort = new AbortController()
    const app = new Hono()
    dashboardRoutes(app, {
      status: () => status('s', [0], [member('s', 'alive', true)]), tasks: { overview: () => ({ counts: { pending: 0, running: 0, done: 0, failed: 0, cancelled: 0 }, total: 0, recent: [], failures: [] }) }, actors: () => ({ counter: { activations: 1, mailboxDepth: 0, messages: 3 } }),
      partitions: 2, tasksFinished: () => 0, clock: t.clock, timers: t.timers, signal: abort.signal,
    })
    app.get('/x', c => c.text('x'))
    const page = await app.request('/')
    const csp = page.headers.get('content-security-policy') ?? ''
    const html = await page.text()
    const script = html.slice(html.indexOf('<script>') + 8, html.lastIndexOf('</script>'))
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`)
    expect(csp).toMatch(/default-src 'self'/)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/|@import|url\(/)
    await app.request('/x')
    const state = await (await app.request('/dashboard/state')).json() as { leases: { holders: unknown[] }, actors: unknown[], throughput: { points: Array<{ requests: number }> } }
    expect(state.leases.holders).toEqual(['s', null])
    expect(state.actors).toEqual([{ type: 'counter', activations: 1, mailboxDepth: 0, messages: 3 }])
    expect(state.throughput.points.at(-1)!.requests).toBe(1)
    expect(t.pending()).toBe(1)
    abort.abort()
    expect(t.pending()).toBe(0)
  })
})
