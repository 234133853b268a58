// Times every HTTP request into `troupe_http_request_duration_seconds`, and
// serves `GET /metrics`. Labels stay bounded: a path names an action only if
// the app defines it, and unknown paths and methods count as `other`.

import type { Env, Hono, MiddlewareHandler } from 'hono'
import type { RequestObserver } from '../http/observe.js'
import type { HistogramSeries } from './histogram.js'
import type { Metrics } from './metrics.js'

/** Routes every peer serves besides the actions; each is its own label value. */
export const FIXED_ROUTES: ReadonlySet<string> = new Set(['/', '/dashboard/state', '/api', '/status', '/health', '/metrics', '/openapi.json', '/docs', '/tasks'])
/** Method label by index: GET, POST, HEAD, anything else. */
const METHOD_LABELS = ['GET', 'POST', 'HEAD', 'other'] as const
const API_PREFIX = '/api/'

export interface MetricsMiddlewareOptions {
  /** The app's actions (or their names): only these become label values. */
  actions: ReadonlyArray<{ name: string } | string>
  /** Milliseconds, monotonic. Default `performance.now`. */
  now?: () => number
}

/** Times every request into the histogram; register with `observeRequests(app, metricsObserver(...))`. */
export function metricsObserver(metrics: Metrics, options: Pick<MetricsMiddlewareOptions, 'actions'>): RequestObserver {
  const names = new Set(options.actions.map(a => typeof a === 'string' ? a : a.name))
  // Series are looked up once per (route label, method, status): the labels are bounded.
  const byLabel = new Map<string, Map<number, HistogramSeries>>()
  // The last action's series, found again without a lookup: a busy peer mostly answers one action the same way.
  let lastAction: string | undefined
  let lastKey = -1
  let lastChild: HistogramSeries | undefined
  return (answered) => {
    const verb = answered.method
    const methodIndex = verb === 'GET' ? 0 : verb === 'POST' ? 1 : verb === 'HEAD' ? 2 : 3
    const key = answered.status * 4 + methodIndex
    const named = answered.action
    if (named !== undefined && named === lastAction && key === lastKey) {
      lastChild!.observe(answered.ms / 1000)
      return
    }
    // The action route names the action it found; any other path is labelled from its text.
    const known = named !== undefined && names.has(named)
    const action = known ? named : routeLabel(answered.path, names)
    let series = byLabel.get(action)
    if (series === undefined) byLabel.set(action, series = new Map())
    let child = series.get(key)
    if (child === undefined) {
      child = metrics.httpRequests.labels({ action, method: METHOD_LABELS[methodIndex]!, status: String(answered.status) })
      series.set(key, child)
    }
    if (known) {
      lastAction = named
      lastKey = key
      lastChild = child
    }
    child.observe(answered.ms / 1000)
  }
}

/** The same as a Hono middleware, for an app not made by createHttpApp. */
export function metricsMiddleware(metrics: Metrics, options: MetricsMiddlewareOptions): MiddlewareHandler {
  const observe = metricsObserver(metrics, options)
  const now = options.now ?? (() => performance.now())
  return async (c, next) => {
    const started = now()
    try {
      await next()
    } finally {
      // A handler's throw has already become c.res through onError; a bare throw here still counts as 500.
      observe({ path: c.req.path, method: c.req.method, status: c.finalized ? c.res.status : 500, ms: now() - started })
    }
  }
}

export function routeLabel(path: string, actions: ReadonlySet<string>): string {
  if (path.startsWith(API_PREFIX)) {
    const segment = path.slice(API_PREFIX.length)
    const name = segment.includes('%') ? safeDecode(segment) : segment
    return name !== undefined && actions.has(name) ? name : 'other'
  }
  return FIXED_ROUTES.has(path) ? path : 'other'
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined // malformed escapes name no action
  }
}

/** `GET /metrics` in the Prometheus text format, with the registry's content type. */
export function metricsRoute<E extends Env>(app: Hono<E>, metrics: Metrics): Hono<E> {
  app.get('/metrics', async (c) => {
    const body = await metrics.registry.metrics()
    return c.body(body, 200, { 'content-type': metrics.registry.contentType })
  })
  return app
}
