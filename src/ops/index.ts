// Operator tooling on a peer's Hono app: request metrics, `GET /metrics`,
// `GET /openapi.json` and `GET /docs`. Call `registerOps` from
// createHttpApp's `extend` hook; request timing is a request observer
// (src/http/observe.ts), so it sees every request without a middleware.

import type { Env, Hono } from 'hono'
import type { Action } from '../app/action.js'
import { buildOpenApi, openApiRoutes, type OpenApiDocument } from '../http/openapi.js'
import { observeRequests } from '../http/observe.js'
import { metricsObserver, metricsRoute } from './http-metrics.js'
import type { Metrics } from './metrics.js'

export interface OpsInit {
  actions: readonly Action[]
  version: string
  /** Shown in the OpenAPI info and on /docs (e.g. the app name). */
  title?: string
  /** Omit to serve no /metrics and time nothing. */
  metrics?: Metrics
  /** Default true: serve /openapi.json and /docs. */
  docs?: boolean
}

export function registerOps<E extends Env>(app: Hono<E>, init: OpsInit): Hono<E> {
  if (init.metrics !== undefined) {
    observeRequests(app, metricsObserver(init.metrics, { actions: init.actions }))
    metricsRoute(app, init.metrics)
  }
  if (init.docs !== false) {
    // Built at the first request: the JSON Schemas of every action's input are work and memory an idle peer never needs.
    let doc: OpenApiDocument | undefined
    openApiRoutes(app, () => (doc ??= buildOpenApi({ actions: init.actions, version: init.version, title: init.title })))
  }
  return app
}

export { createMetrics, countFrame, countTask, HTTP_DURATION_BUCKETS, TASK_EVENTS, type ActorGauges, type Metrics, type MetricsInit, type TaskEvent, type WireDirection } from './metrics.js'
export { actorMeter, leaseMeter, taskMeter } from './meters.js'
export { metricsMiddleware, metricsObserver, metricsRoute, routeLabel, type MetricsMiddlewareOptions } from './http-metrics.js'
export { buildOpenApi, openApiRoutes, type OpenApiDocument, type OpenApiInit } from '../http/openapi.js'
