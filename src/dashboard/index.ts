// The operator's dashboard, served by every peer:
//   GET /                 one self-contained HTML page that polls the feed below every second
//   GET /dashboard/state  members, voter set and lease holders, task queues, actors, throughput
// Register it from createHttpApp's `extend` hook with the components it reads
// (never the peer); its sampler stops when `signal` fires or on `stop()`.

import type { Env, Hono } from 'hono'
import { observeRequests } from '../http/observe.js'
import { snapshot } from './snapshot.js'
import { Throughput } from './throughput.js'
import type { DashboardSources, DashboardState } from './types.js'

/** Several open dashboards share one snapshot this fresh (it asks every member's /status). */
export const SNAPSHOT_REUSE_MS = 500

export interface Dashboard {
  /** The feed's current answer. */
  state(): Promise<DashboardState>
  /** Starts the throughput sampler (dashboardRoutes already did). */
  start(): void
  stop(): void
}

export function dashboardRoutes<E extends Env>(app: Hono<E>, sources: DashboardSources): Dashboard {
  // HTTP requests served by this peer, the dashboard's own polling aside.
  let requests = 0
  observeRequests(app, (answered) => {
    // An action's request is counted without parsing its path.
    if (answered.action !== undefined) requests++
    else if (answered.path !== '/' && !answered.path.startsWith('/dashboard/')) requests++
  })
  const throughput = new Throughput({
    clock: sources.clock,
    timers: sources.timers,
    counters: { tasks: sources.tasksFinished, requests: () => requests },
  })
  let cached: { at: number, state: Promise<DashboardState> } | undefined
  const state = (): Promise<DashboardState> => {
    const now = sources.clock.now()
    if (cached === undefined || now - cached.at >= SNAPSHOT_REUSE_MS) {
      const next = { at: now, state: snapshot(sources, throughput) }
      next.state.catch(() => { if (cached === next) cached = undefined })
      cached = next
    }
    return cached.state
  }

  // The page (~25 KB of HTML, CSS and script) is loaded at its first request: an idle peer nobody looks at never holds it.
  app.get('/', async c => {
    const { CONTENT_SECURITY_POLICY, PAGE } = await import('./page.js')
    c.header('content-security-policy', CONTENT_SECURITY_POLICY)
    c.header('x-content-type-options', 'nosniff')
    c.header('referrer-policy', 'no-referrer')
    c.header('cache-control', 'no-store')
    return c.html(PAGE)
  })
  app.get('/dashboard/state', async c => {
    c.header('cache-control', 'no-store')
    return c.json(await state())
  })

  const dashboard: Dashboard = { state, start: () => { throughput.start() }, stop: () => { throughput.stop() } }
  if (sources.signal?.aborted !== true) {
    throughput.start()
    sources.signal?.addEventListener('abort', dashboard.stop, { once: true })
  }
  return dashboard
}

export { Throughput, BUCKET_MS, BUCKETS, type ThroughputInit } from './throughput.js'
export { clusterLeases, fetchStatus, type ClusterLeases, type FetchStatus } from './leases.js'
export { snapshot, taskSummary } from './snapshot.js'
export type { DashboardSources, DashboardState, MemberView, TaskRow, ThroughputPoint } from './types.js'
