// Metrics: request timing by bounded labels, /metrics in the Prometheus text
// format, one registry per peer.
import { register as globalRegistry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { countFrame, countTask, createMetrics, type Metrics } from '../../src/ops/metrics.js'
import { actorMeter, leaseMeter, taskMeter } from '../../src/ops/meters.js'
import { ACTIONS, opsApp } from './fixtures.js'

async function countOf(metrics: Metrics, labels: Record<string, string>): Promise<number> {
  const { values } = await metrics.httpRequests.get()
  const match = values.find(v => v.metricName === 'troupe_http_request_duration_seconds_count'
    && Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
  return match?.value ?? 0
}

describe('metrics middleware', () => {
  it('times requests by action, method and status, errors included', async () => {
    const metrics = createMetrics()
    const app = opsApp(metrics)
    await app.request('/api/math.add?a=1&b=2')
    await app.request('/api/math.add?a=1&b=2')
    await app.request('/api/math.add', { method: 'POST', body: '{"a":"x"}', headers: { 'content-type': 'application/json' } })
    await app.request('/api/boom', { method: 'POST' })
    await app.request('/status')
    // The same method and status as the last math.add, another action: its own series.
    await app.request('/api/tree', { method: 'POST', body: '{"root":{"name":"t","children":[]}}', headers: { 'content-type': 'application/json' } })
    await app.request('/api/tree', { method: 'POST', body: '{"root":{"name":"t","children":[]}}', headers: { 'content-type': 'application/json' } })
    await app.request('/api/math.add', { method: 'POST', body: '{"a":1,"b":2}', headers: { 'content-type': 'application/json' } })
    expect(await countOf(metrics, { action: 'tree', method: 'POST', status: '200' })).toBe(2)
    expect(await countOf(metrics, { action: 'math.add', method: 'POST', status: '200' })).toBe(1)
    expect(await countOf(metrics, { action: 'math.add', method: 'GET', status: '200' })).toBe(2)
    expect(await countOf(metrics, { action: 'math.add', method: 'POST', status: '422' })).toBe(1)
    expect(await countOf(metrics, { action: 'boom', method: 'POST', status: '500' })).toBe(1)
    expect(await countOf(metrics, { action: '/status', method: 'GET', status: '200' })).toBe(1)
  })

  it('labels unknown actions, routes and methods as other', async () => {
    const metrics = createMetrics()
    const app = opsApp(metrics)
    for (let i = 0; i < 5; i++) await app.request(`/api/nope-${i}`)
    await app.request('/wp-admin.php')
    await app.request('/api/%E0%A4%A', { method: 'POST' })
    await app.request('/api/math.add', { method: 'PATCH' })
    expect(await countOf(metrics, { action: 'other', method: 'GET', status: '404' })).toBe(6)
    expect(await countOf(metrics, { action: 'other', method: 'POST', status: '404' })).toBe(1)
    expect(await countOf(metrics, { action: 'math.add', method: 'other', status: '405' })).toBe(1)
    const series = (await metrics.httpRequests.get()).values.map(v => v.labels.action)
    expect(new Set(series)).toEqual(new Set(['other', 'math.add']))
  })
})

describe('GET /metrics', () => {
  it('answers in the Prometheus text format with every family, members filled at scrape', async () => {
    const metrics = createMetrics()
    metrics.trackMembers(() => [{ state: 'alive' }, { state: 'alive' }, { state: 'dead' }])
    countFrame(metrics, 'out', 120)
    countFrame(metrics, 'out', 30)
    countTask(metrics, 'email', 'enqueued')
    const app = opsApp(metrics)
    await app.request('/api/math.add?a=1')
    const res = await app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType)
    const text = await res.text()
    expect(text).toContain('troupe_http_request_duration_seconds_count{action="math.add",method="GET",status="200"} 1')
    expect(text).toContain('troupe_members{state="alive"} 2')
    expect(text).toContain('troupe_members{state="dead"} 1')
    expect(text).toContain('troupe_members{state="suspect"} 0')
    expect(text).toContain('troupe_wire_frames_total{direction="out"} 2')
    expect(text).toContain('troupe_wire_bytes_total{direction="out"} 150')
    expect(text).toContain('troupe_tasks_enqueued_total{task="email"} 1')
    for (const family of ['troupe_tasks_claimed_total', 'troupe_tasks_completed_total', 'troupe_tasks_failed_total', 'troupe_tasks_retried_total', 'troupe_lease_rounds_total', 'troupe_lease_acquired_total', 'troupe_lease_handovers_total', 'troupe_leases_held', 'troupe_actor_messages_total', 'troupe_actor_mailbox_depth', 'troupe_actor_activations', 'troupe_task_duration_seconds', 'troupe_gossip_messages_total', 'troupe_gossip_bytes_total', 'troupe_gossip_rejected_total', 'troupe_gossip_ignored_total', 'troupe_sync_rounds_total', 'troupe_sync_records_total']) {
      expect(text).toContain(`# TYPE ${family} `)
    }
  })

  it('keeps each peer on its own registry, off the global one', async () => {
    const a = createMetrics()
    const b = createMetrics()
    await opsApp(a).request('/api/math.add?a=1')
    expect(await countOf(a, { action: 'math.add' })).toBe(1)
    expect(await countOf(b, { action: 'math.add' })).toBe(0)
    expect(await globalRegistry.getSingleMetric('troupe_http_request_duration_seconds')).toBeUndefined()
  })

  it('process metrics are opt-in', async () => {
    expect(await createMetrics().registry.metrics()).not.toContain('process_cpu')
    expect(await createMetrics({ processMetrics: true }).registry.metrics()).toContain('process_cpu')
  })

  it('an app without metrics serves no /metrics', async () => {
    expect((await opsApp(undefined, ACTIONS).request('/metrics')).status).toBe(404)
  })
})

describe('meters', () => {
  it('count through the small interfaces each plane is given, and fill gauges at scrape', async () => {
    const metrics = createMetrics()
    const tasks = taskMeter(metrics)
    tasks.task('email', 'claimed')
    tasks.task('email', 'claimed')
    tasks.task('email', 'retried')
    tasks.attempt('email', 'error', 0.02)
    tasks.gossip('out', 100)
    tasks.gossip('out', 50)
    tasks.gossipDropped('reject', 'malformed')
    tasks.gossipDropped('ignore', 'not-member')
    tasks.sync(true, 3, 0)
    tasks.sync(false, 0, 0)
    const leases = leaseMeter(metrics)
    leases.rounds(4)
    leases.acquired()
    leases.lost('released')
    const counted = actorMeter(metrics).messages('cart')
    counted()
    counted()
    metrics.trackLeases(() => 7)
    metrics.trackActors(() => ({ cart: { activations: 2, mailboxDepth: 5 } }))
    const text = await metrics.registry.metrics()
    for (const line of [
      'troupe_tasks_claimed_total{task="email"} 2', 'troupe_tasks_retried_total{task="email"} 1',
      'troupe_task_duration_seconds_count{task="email",outcome="error"} 1',
      'troupe_gossip_messages_total{direction="out"} 2', 'troupe_gossip_bytes_total{direction="out"} 150',
      'troupe_gossip_rejected_total{reason="malformed"} 1', 'troupe_gossip_ignored_total{reason="not-member"} 1',
      'troupe_sync_rounds_total{outcome="ok"} 1', 'troupe_sync_rounds_total{outcome="error"} 1', 'troupe_sync_records_total{direction="pulled"} 3',
      'troupe_lease_rounds_total 4', 'troupe_lease_acquired_total 1', 'troupe_lease_handovers_total{reason="released"} 1', 'troupe_leases_held 7',
      'troupe_actor_messages_total{actor="cart"} 2', 'troupe_actor_mailbox_depth{actor="cart"} 5', 'troupe_actor_activations{actor="cart"} 2',
    ]) expect(text).toContain(line)
  })

  it('keep what was counted before the registry is first used, and count each increment once across scrapes', async () => {
    const metrics = createMetrics({ processMetrics: true })
    const tasks = taskMeter(metrics)
    const leases = leaseMeter(metrics)
    // Counted while nothing has read the registry (an idle peer nobody scrapes never builds it).
    tasks.task('email', 'completed')
    leases.rounds(2)
    countTask(metrics, 'email', 'completed')
    countFrame(metrics, 'in', 10)
    const first = await metrics.registry.metrics()
    expect(first).toContain('troupe_tasks_completed_total{task="email"} 2')
    expect(first).toContain('troupe_lease_rounds_total 2')
    expect(first).toContain('troupe_wire_bytes_total{direction="in"} 10')
    // Built on first use, the process metrics included.
    expect(first).toContain('process_cpu')
    tasks.task('email', 'completed')
    leases.rounds(1)
    const second = await metrics.registry.metrics()
    expect(second).toContain('troupe_tasks_completed_total{task="email"} 3')
    expect(second).toContain('troupe_lease_rounds_total 3')
    expect(second).toContain('troupe_wire_bytes_total{direction="in"} 10')
    // A handle's own get() folds the tallies in too.
    tasks.task('email', 'completed')
    const { values } = await metrics.tasks.completed.get()
    expect(values.find(v => v.labels.task === 'email')?.value).toBe(4)
  })
})
