// The admin and action tokens on real peers over real HTTP: admin routes
// (every /tasks route) need the admin token when one is set, are served on
// loopback only when none is, and actions need the action token when one is
// set. /health, /status, /api and the dashboard feed stay open.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createPeer, defineAction, defineApp, defineTask, type Peer } from '../../src/index.js'
import type { Logger, LogFields } from '../../src/util/logger.js'
import { tempDir } from '../helpers/tmp.js'

const ADMIN = 'admin-token-0123456789abcdef'
const ACTION = 'action-token-0123456789abcdef'

const app = defineApp({
  name: 'auth-test',
  actions: [defineAction({ name: 'ping', input: z.object({}), run: () => ({ pong: true }) })],
  tasks: [defineTask({ name: 'noop', scope: 'any', input: z.object({}), run: () => undefined })],
})

interface Line { level: string, msg: string }
function recording(lines: Line[]): Logger {
  const log = (level: string) => (msg: string, _fields?: LogFields): void => { lines.push({ level, msg }) }
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger }
  return logger
}

const peers: Peer[] = []
const cleanups: Array<() => Promise<void>> = []

async function start(init: { host?: string, adminToken?: string, actionToken?: string, lines?: Line[] }): Promise<Peer> {
  const dir = await tempDir()
  cleanups.push(dir.remove)
  const peer = await createPeer({
    app, dataDir: dir.path, listen: ['/ip4/127.0.0.1/tcp/0'], http: { port: 0, host: init.host ?? '127.0.0.1' },
    logger: recording(init.lines ?? []), adminToken: init.adminToken, actionToken: init.actionToken,
  })
  peers.push(peer)
  return peer
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

async function call(url: string, method: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number, body: { id?: string, [key: string]: unknown }, headers: Headers }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: await res.json().catch(() => ({})) as { id?: string }, headers: res.headers }
}

afterAll(async () => {
  for (const p of peers) await p.stop()
  for (const c of cleanups) await c()
})

describe('a peer with an admin token', () => {
  let peer: Peer
  let url: string
  const lines: Line[] = []
  beforeAll(async () => {
    peer = await start({ adminToken: ADMIN, lines })
    url = peer.httpUrl!
  })

  it('answers 401 in the error shape without the token or with a wrong one, and serves the route with it', async () => {
    const none = await call(`${url}/tasks`, 'GET')
    expect(none.status).toBe(401)
    expect(none.body).toEqual({ error: { name: 'UnauthorizedError', code: 'ERR_UNAUTHORIZED', retryable: false, message: expect.stringMatching(/admin token/) } })
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(none.headers.get('x-request-id')).toBeTruthy()
    for (const header of [bearer('wrong-token-0123456789abcdef'), bearer(`${ADMIN}x`), bearer(ADMIN.slice(0, -1)), { authorization: ADMIN }, { authorization: `Basic ${ADMIN}` }]) {
      expect((await call(`${url}/tasks`, 'GET', header)).status).toBe(401)
    }
    const enqueueRefused = await call(`${url}/tasks`, 'POST', {}, { name: 'noop', input: {} })
    expect(enqueueRefused.status).toBe(401)
    expect(peer.tasks.list()).toHaveLength(0)

    const listed = await call(`${url}/tasks`, 'GET', bearer(ADMIN))
    expect(listed).toMatchObject({ status: 200, body: { tasks: [] } })
    const enqueued = await call(`${url}/tasks`, 'POST', bearer(ADMIN), { name: 'noop', input: {} })
    expect(enqueued.status).toBe(202)
    const id = enqueued.body.id!
    for (const path of [`/tasks/${id}`, `/tasks/${id}/cancel`, `/tasks/${id}/retry`]) {
      const method = path.endsWith(id) ? 'GET' : 'POST'
      expect((await call(`${url}${path}`, method)).status).toBe(401)
    }
    expect((await call(`${url}/tasks/${id}`, 'DELETE', bearer('nope-nope-nope-nope-nope'))).status).toBe(401)
    expect((await call(`${url}/tasks/${id}`, 'GET', bearer(ADMIN))).body).toMatchObject({ id, name: 'noop' })
    expect((await call(`${url}/tasks/${id}`, 'DELETE', bearer(ADMIN))).status).toBe(200)
  })

  it('keeps /health, /status, /api, the dashboard feed and actions open (no action token set)', async () => {
    for (const path of ['/health', '/status', '/api', '/dashboard/state', '/metrics']) expect((await fetch(`${url}${path}`)).status, path).toBe(200)
    expect(await call(`${url}/api/ping`, 'POST', {}, {})).toMatchObject({ status: 200, body: { pong: true } })
  })

  it('does not warn about unprotected admin routes', () => {
    expect(lines.filter(l => /admin routes/.test(l.msg))).toEqual([])
  })
})

describe('a peer without an admin token', () => {
  it('serves admin routes when it listens on loopback, and says so at start', async () => {
    const lines: Line[] = []
    const peer = await start({ lines })
    expect((await call(`${peer.httpUrl!}/tasks`, 'GET')).status).toBe(200)
    expect(lines).toContainEqual({ level: 'warn', msg: expect.stringMatching(/admin routes .* have no token: served because HTTP listens on loopback only/) })
  })

  it('refuses admin routes with 403 when it listens beyond loopback, token or not', async () => {
    const lines: Line[] = []
    const peer = await start({ host: '0.0.0.0', lines })
    const port = new URL(peer.httpUrl!).port
    const refused = await call(`http://127.0.0.1:${port}/tasks`, 'GET')
    expect(refused).toMatchObject({ status: 403, body: { error: { name: 'ForbiddenError', code: 'ERR_FORBIDDEN', message: expect.stringMatching(/admin token/) } } })
    expect((await call(`http://127.0.0.1:${port}/tasks`, 'POST', bearer(ADMIN), { name: 'noop', input: {} })).status).toBe(403)
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200)
    expect(lines).toContainEqual({ level: 'warn', msg: expect.stringMatching(/refused \(403\)/) })
  })
})

describe('a peer with an action token', () => {
  it('needs the action token (or the admin token) on actions only', async () => {
    const peer = await start({ adminToken: ADMIN, actionToken: ACTION })
    const url = peer.httpUrl!
    const none = await call(`${url}/api/ping`, 'POST', {}, {})
    expect(none).toMatchObject({ status: 401, body: { error: { code: 'ERR_UNAUTHORIZED', message: expect.stringMatching(/action token/) } } })
    expect((await call(`${url}/api/ping`, 'GET')).status).toBe(401)
    expect((await call(`${url}/api/ping`, 'POST', bearer('wrong-wrong-wrong-wrong'), {})).status).toBe(401)
    expect(await call(`${url}/api/ping`, 'POST', bearer(ACTION), {})).toMatchObject({ status: 200, body: { pong: true } })
    expect(await call(`${url}/api/ping`, 'POST', bearer(ADMIN), {})).toMatchObject({ status: 200, body: { pong: true } })
    expect((await fetch(`${url}/api`)).status).toBe(200)
    expect((await fetch(`${url}/health`)).status).toBe(200)
    // The action token is not an admin token.
    expect((await call(`${url}/tasks`, 'GET', bearer(ACTION))).status).toBe(401)
  })
})

describe('token configuration', () => {
  it('refuses a short token, naming the option', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    await expect(createPeer({ app, dataDir: dir.path, http: { port: 0 }, adminToken: 'short' })).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/^adminToken: .*at least 16 characters/) })
    await expect(createPeer({ app, dataDir: dir.path, http: { port: 0 }, actionToken: ' '.repeat(20) })).rejects.toMatchObject({ name: 'ConfigError', message: expect.stringMatching(/^actionToken: /) })
  })
})
