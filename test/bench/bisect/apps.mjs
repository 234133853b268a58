/* global performance, URLSearchParams, Response */
// The rungs of the actions bisection, each a Hono app serving GET /api/hello?name=x:
//   hono        bare Hono (= actions-hono.mjs)
//   hono-async  bare Hono, one async no-op middleware in front
//   h-rid       + the request-id middleware (header read, randomUUID, two response headers)
//   h-sub       + the action sub-app at /api/:name, async handler, c.json directly
//   h-query     + queryInput(c.req.url)
//   h-zod       + zod validation of that input (validateInput)
//   h-runner    + actionRunner (context, validation, deadline) instead of validateInput
//   fast        a lower bound: one synchronous handler doing what an action needs (request id,
//               headers, query, zod, run, metrics observe, request counter), no Hono middleware
//   h-rid-sync, h-rid-out  h-rid with a synchronous middleware; -out sets the headers on the Node response
//   app         createHttpApp({ actions }) (no extend)
//   app-ops     + registerOps (metrics middleware, /metrics, openapi)
//   app-all     + protectRoutes + dashboardRoutes (its request counter), i.e. the peer's extend hook
//   peer-app    the app of a real peer (createPeer, http: false; its whole stack, in its own process state)
import { randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { createHttpApp, protectRoutes } from '../../../dist/http/index.js'
import { queryInput } from '../../../dist/http/query.js'
import { actionRunner } from '../../../dist/http/run.js'
import { validateInput } from '../../../dist/app/validate.js'
import { createMetrics, registerOps } from '../../../dist/ops/index.js'
import { dashboardRoutes } from '../../../dist/dashboard/index.js'
import { systemClock, systemTimers } from '../../../dist/util/clock.js'
import { silentLogger } from '../../../dist/index.js'
import { app as benchApp } from '../lib/app.mjs'

export const STEP_NAMES = ['hono', 'hono-async', 'h-rid', 'h-sub', 'h-query', 'h-zod', 'h-runner', 'fast', 'app', 'app-ops', 'app-all', 'peer-app']
const RUNGS = ['h-rid', 'h-sub', 'h-query', 'h-zod', 'h-runner']

export async function buildApp (step) {
  if (step === 'hono' || step === 'hono-async') {
    const app = new Hono()
    if (step === 'hono-async') app.use('*', async (_c, next) => { await next() })
    app.get('/api/hello', c => c.json({ hello: c.req.query('name') ?? 'world', ok: true }))
    return app
  }
  if (RUNGS.includes(step)) return rung(RUNGS.indexOf(step))
  if (step === 'peer-app') {
    const { mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { LEASE, MEMBERSHIP } = await import('../lib/cluster.mjs')
    const { createPeer } = await import('../../../dist/index.js')
    const peer = await createPeer({ app: benchApp, listen: ['/ip4/127.0.0.1/tcp/0'], http: false, dataDir: mkdtempSync(join(tmpdir(), 'troupe-bisect-')), seeds: [], logger: silentLogger, lease: LEASE, membership: MEMBERSHIP })
    return peer.http
  }
  if (step === 'fast') {
    // Lower bound for our features on one sync handler (no Hono middleware): request id,
    // version header, query parse, zod, ctx, run, metrics observe, request counter.
    const hello = benchApp.actions[0]
    const child = createMetrics().httpRequests.labels({ action: 'hello', method: 'GET', status: '200' })
    let n = 0; let requests = 0 // eslint-disable-line @typescript-eslint/no-unused-vars -- counted like the dashboard does
    const app = new Hono()
    app.on(['GET', 'POST'], '/api/:name', c => {
      const t0 = performance.now()
      const given = c.req.header('x-request-id')
      const id = given !== undefined ? given : `p-${(n++).toString(36)}`
      const url = c.req.url; const q = url.indexOf('?')
      const raw = Object.fromEntries(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)))
      const r = hello.input['~standard'].validate(raw)
      const out = hello.run({ requestId: id }, r.value)
      const res = new Response(JSON.stringify(out), { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': id, 'x-troupe-version': '0.0.0' } })
      requests++
      child.observe((performance.now() - t0) / 1000)
      return res
    })
    return app
  }
  if (step === 'h-rid-out' || step === 'h-rid-sync') {
    // h-rid with a sync middleware (return next()); -out also writes the headers on the Node response
    const app = new Hono()
    app.use('*', (c, next) => {
      const given = c.req.header('x-request-id')
      const id = given !== undefined ? given : randomUUID()
      c.set('requestId', id)
      if (step === 'h-rid-out') {
        c.env.outgoing.setHeader('x-request-id', id)
        c.env.outgoing.setHeader('x-troupe-version', '0.0.0')
      } else {
        c.header('x-request-id', id)
        c.header('x-troupe-version', '0.0.0')
      }
      return next()
    })
    app.get('/api/hello', c => c.json({ hello: c.req.query('name') ?? 'world', ok: true }))
    return app
  }
  const metrics = createMetrics({ processMetrics: true })
  return createHttpApp({
    actions: benchApp.actions,
    middleware: benchApp.middleware,
    peer: { id: 'bisect' },
    status: () => ({}),
    logger: silentLogger.child({ part: 'http' }),
    version: '0.0.0',
    context: () => ({}),
    extend: hono => {
      if (step === 'app') return
      registerOps(hono, { actions: benchApp.actions, version: '0.0.0', title: 'bench', metrics })
      if (step === 'app-ops') return
      protectRoutes(hono, { loopback: true })
      dashboardRoutes(hono, { status: () => ({}), tasks: { list: () => [] }, actors: () => ({}), partitions: 64, tasksFinished: () => 0, clock: systemClock, timers: systemTimers })
    },
  })
}

function rung (level) {
  const hello = benchApp.actions[0]
  const run = actionRunner(hello, { middleware: [], peer: { id: 'x' }, logger: silentLogger, actionTimeoutMs: 30_000, context: () => ({}) })
  const app = new Hono()
  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id')
    const id = given !== undefined ? given : randomUUID()
    c.set('requestId', id)
    c.header('x-request-id', id)
    c.header('x-troupe-version', '0.0.0')
    await next()
  })
  if (level === 0) {
    app.get('/api/hello', c => c.json({ hello: c.req.query('name') ?? 'world', ok: true }))
    return app
  }
  const sub = new Hono()
  sub.on(['GET', 'POST'], '/:name', async c => {
    if (level === 1) return c.json({ hello: c.req.query('name') ?? 'world', ok: true })
    const raw = queryInput(c.req.url)
    if (level === 2) return c.json({ hello: raw.name, ok: true })
    if (level === 3) return c.json(hello.run({}, await validateInput(hello.input, raw)))
    return c.json(await run({ method: 'GET', rawInput: raw, request: () => c.req.raw, requestId: c.get('requestId') }))
  })
  app.route('/api', sub)
  return app
}
