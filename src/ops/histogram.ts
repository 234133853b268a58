// A labelled histogram for per-request timing, registered on a prom-client
// Registry and exported exactly as prom-client's own Histogram (same series,
// label order and text). prom-client checks and hashes the labels on every
// observe, even through a `labels()` child; here a series is looked up once
// (by its label values) and each observe is a bucket search and three adds.
import type { Metric, Registry } from 'prom-client'

export interface HistogramInit<L extends string> {
  name: string
  help: string
  labelNames: readonly L[]
  /** Upper bounds, ascending; `+Inf` is implied. */
  buckets: readonly number[]
  /** Registries to join now; `register` joins one later. */
  registers?: readonly Registry[]
}

/** One label set's counts. */
export interface HistogramSeries {
  observe(value: number): void
}

class Series implements HistogramSeries {
  /** Per bucket (not cumulative); the last slot counts values above every bound. */
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(readonly labels: Readonly<Record<string, string>>, private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram: not a finite number: ${value}`)
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    this.counts[i]! += 1
    this.sum += value
    this.count += 1
  }
}

interface ExportedValue {
  labels: Record<string, string | number>
  sharedLabels?: Readonly<Record<string, string>>
  value: number
  metricName: string
  exemplar?: null
}

interface Exported {
  name: string
  help: string
  type: 'histogram'
  values: ExportedValue[]
  aggregator: 'sum'
}

export class LabelledHistogram<L extends string> {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly labelNames: readonly L[]
  private readonly bounds: readonly number[]
  private series = new Map<string, Series>()

  constructor(init: HistogramInit<L>) {
    this.name = init.name
    this.help = init.help
    this.labelNames = [...init.labelNames]
    this.bounds = [...init.buckets]
    for (let i = 1; i < this.bounds.length; i++) if (!(this.bounds[i]! > this.bounds[i - 1]!)) throw new TypeError(`histogram ${init.name}: buckets must ascend`)
    for (const registry of init.registers ?? []) this.register(registry)
  }

  /** Joins `registry`: it then exports this histogram with its other metrics. */
  register(registry: Registry): void {
    // The registry only reads name, get/getForPromString and reset: the same surface as prom-client's metrics.
    registry.registerMetric(this as unknown as Metric)
  }

  /** The series of these label values (made on first use); keep it to observe without any lookup. */
  labels(labels: Readonly<Record<L, string>>): HistogramSeries {
    let key = ''
    for (const name of this.labelNames) {
      const value = labels[name]
      if (typeof value !== 'string') throw new TypeError(`histogram ${this.name}: label ${name} must be a string`)
      key += `${value}\u0000`
    }
    let series = this.series.get(key)
    if (series === undefined) {
      const own: Record<string, string> = {}
      for (const name of this.labelNames) own[name] = labels[name]
      this.series.set(key, series = new Series(own, this.bounds))
    }
    return series
  }

  observe(labels: Readonly<Record<L, string>>, value: number): void {
    this.labels(labels).observe(value)
  }

  reset(): void {
    this.series = new Map()
  }

  /** As prom-client's Histogram: `le` first, then the series' labels (for the registry's text output). */
  getForPromString(): Promise<Exported> {
    const values: ExportedValue[] = []
    const bucketName = `${this.name}_bucket`
    for (const s of this.series.values()) {
      let acc = 0
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i]!
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: acc, metricName: bucketName, exemplar: null })
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucketName, exemplar: null })
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` })
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` })
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator })
  }

  /** As prom-client's Histogram: each value's labels hold the series' labels and `le`. */
  async get(): Promise<Exported> {
    const data = await this.getForPromString()
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } }))
    return data
  }
}
