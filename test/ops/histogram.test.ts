// Our request histogram must export exactly what prom-client's Histogram does
// (the /metrics text and `get()`), so that dashboards and tests see no change.
import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { LabelledHistogram } from '../../src/ops/histogram.js'

const BUCKETS = [0.001, 0.01, 0.1, 1]
const OBSERVED: Array<[Record<'action' | 'method' | 'status', string>, number]> = [
  [{ action: 'a', method: 'GET', status: '200' }, 0.0005],
  [{ action: 'a', method: 'GET', status: '200' }, 0.001],
  [{ action: 'a', method: 'GET', status: '200' }, 0.05],
  [{ action: 'b "q"', method: 'POST', status: '422' }, 3],
  [{ action: 'a', method: 'GET', status: '500' }, 0],
]

function both(): { ours: Registry, theirs: Registry, mine: LabelledHistogram<'action' | 'method' | 'status'>, reference: Histogram<'action' | 'method' | 'status'> } {
  const ours = new Registry()
  const theirs = new Registry()
  const init = { name: 'x_seconds', help: 'help "text"\\n', labelNames: ['action', 'method', 'status'] as const, buckets: BUCKETS }
  const mine = new LabelledHistogram({ ...init, registers: [ours] })
  const reference = new Histogram({ ...init, labelNames: [...init.labelNames], registers: [theirs] })
  for (const [labels, v] of OBSERVED) {
    mine.labels(labels).observe(v)
    reference.labels(labels).observe(v)
  }
  return { ours, theirs, mine, reference }
}

describe('LabelledHistogram', () => {
  it('prints the same Prometheus text as prom-client', async () => {
    const { ours, theirs } = both()
    const text = await ours.metrics()
    expect(text).toContain('x_seconds_count{action="a",method="GET",status="200"} 3')
    expect(text).toContain('x_seconds_bucket{le="0.001",action="a",method="GET",status="200"} 2')
    expect(text).toBe(await theirs.metrics())
  })

  it('answers get() and the JSON export as prom-client does', async () => {
    const { ours, theirs, mine, reference } = both()
    expect(await mine.get()).toEqual(await reference.get())
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON())
  })

  it('resets with the registry and refuses a non-finite value or a missing label', async () => {
    const { ours, mine } = both()
    ours.resetMetrics()
    expect((await mine.get()).values).toEqual([])
    expect(() => mine.labels({ action: 'a', method: 'GET', status: '200' }).observe(Number.NaN)).toThrow(TypeError)
    expect(() => mine.labels({ action: 'a', method: 'GET' } as never)).toThrow(TypeError)
  })
})
