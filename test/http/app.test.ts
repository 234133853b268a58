// The app driven without a port: every status the HTTP layer promises.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAction } from '../../src/app/action.js'
import { observeRequests, type AnsweredRequest } from '../../src/http/observe.js'
import { add, boom, echo, makeApp, postJson, teapot, type ErrorJson } from './fixtures.js'

describe('actions over app.request()', () => {
  it('POST with a JSON body runs the action', async () => {
    const { app } = makeApp()
    const res = await app.request('/api/math.add', postJson({ a: 2, b: 3 }))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({ sum: 5 })
  })

  it('tells request observers about every answer, without a middleware in front of the actions', async () => {
    const seen: AnsweredRequest[] = []
    const { app } = makeApp({ extend: (hono) => observeRequests(hono, (r) => { seen.push(r) }) })
    await app.request('/api/math.add?a=1&b=2')
    await app.request('/api/math.add?a=x')
    await app.request('/api/boom', postJson({}))
    await app.request('/nowhere', { method: 'DELETE' })
    expect(seen.map(({ path, method, status }) => ({ path, method, status }))).toEqual([
      { path: '/api/math.add', method: 'GET', status: 200 },
      { path: '/api/math.add', method: 'GET', status: 422 },
      { path: '/api/boom', method: 'POST', status: 500 },
      { path: '/nowhere', method: 'DELETE', status: 404 },
    ])
    expect(seen.every(r => r.ms >= 0)).toBe(true)
    // Only the action handler matches an action's path, so Hono answers it directly.
    expect(app.routes.filter(r => r.path === '/*')).toEqual([])
  })

  it('GET takes the query as strings, which the schema may coerce', async () => {
    const { app } = makeApp()
    expect(await (await app.request('/api/math.add?a=1&b=41')).json()).toEqual({ sum: 42 })
    expect(await (await app.request('/api/echo?x=1&tag=a&tag=b')).json()).toEqual({ input: { x: '1', tag: ['a', 'b'] } })
  })

  it('HEAD answers like GET without a body', async () => {
    const { app } = makeApp()
    const res = await app.request('/api/math.add?a=1&b=2', { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
  })

  it('an empty POST body reads as {}', async () => {
    const { app } = makeApp()
    expect(await (await app.request('/api/echo', { method: 'POST' })).json()).toEqual({ input: {} })
  })

  it('accepts application/json with a charset and +json types', async () => {
    const { app } = makeApp()
    for (const type of ['application/json; charset=utf-8', 'application/vnd.troupe+json']) {
      const res = await app.request('/api/math.add', postJson({ a: 1, b: 1 }, { 'content-type': type }))
      expect(res.status).toBe(200)
    }
  })

  it('output undefined is sent as null', async () => {
    const nothing = defineAction({ name: 'nothing', input: z.object({}), run: () => undefined })
    const { app } = makeApp({ actions: [nothing] })
    const res = await app.request('/api/nothing', postJson({}))
    expect(res.status).toBe(200)
    expect(await res.json()).toBeNull()
  })

  it('echoes a plain x-request-id and replaces a weird one', async () => {
    const { app } = makeApp({ newId: () => 'fresh' })
    const given = await app.request('/api/math.add?a=1&b=2', { headers: { 'x-request-id': 'abc-123' } })
    expect(given.headers.get('x-request-id')).toBe('abc-123')
    const weird = await app.request('/api/math.add?a=1&b=2', { headers: { 'x-request-id': 'a b\tc' } })
    expect(weird.headers.get('x-request-id')).toBe('fresh')
  })
})

describe('errors over app.request()', () => {
  it('422 lists each failing field with its path and message', async () => {
    const { app } = makeApp()
    const res = await app.request('/api/math.add', postJson({ a: 'x' }))
    expect(res.status).toBe(422)
    const { error } = await res.json() as ErrorJson
    expect(error).toMatchObject({ name: 'ValidationError', code: 'ERR_VALIDATION', retryable: false })
    expect(error.fields?.map((f) => f.path)).toEqual([['a'], ['b']])
    expect(error.fields?.every((f) => typeof f.message === 'string' && f.message.length > 0)).toBe(true)
    expect(error.message).toMatch(/^invalid input: a: .* \(and 1 more\)$/)
  })

  it('422 paths reach into nested arrays', async () => {
    const nested = defineAction({ name: 'nested', input: z.object({ items: z.array(z.object({ qty: z.number().int() })) }), run: () => 1 })
    const { app } = makeApp({ actions: [nested] })
    const res = await app.request('/api/nested', postJson({ items: [{ qty: 1 }, { qty: 1.5 }] }))
    expect((await res.json() as ErrorJson).error.fields?.[0]?.path).toEqual(['items', 1, 'qty'])
  })

  it('404 for an unknown action, for any method, and for unknown routes', async () => {
    const { app } = makeApp()
    for (const [path, init] of [['/api/nope', {}], ['/api/nope', postJson({})], ['/api/nope', { method: 'DELETE' }], ['/nowhere', {}]] as const) {
      const res = await app.request(path, init)
      expect(res.status).toBe(404)
      expect((await res.json() as ErrorJson).error).toMatchObject({ name: 'NotFoundError', code: 'ERR_NOT_FOUND' })
    }
  })

  it('an unknown action gets the same 404 whether actions are static paths or served through /:name', async () => {
    // Names without `:` are static Hono paths; one name with `:` puts every action behind `/:name`.
    const colon = defineAction({ name: 'ns:echo', input: z.object({ x: z.string() }), run: (_ctx, input) => input })
    const apps = { static: makeApp().app, param: makeApp({ actions: [colon] }).app }
    expect(apps.static.routes.some(r => r.path === '/api/math.add')).toBe(true)
    expect(apps.param.routes.some(r => r.path === '/api/:name')).toBe(true)
    const answers: Record<string, unknown[]> = { static: [], param: [] }
    for (const [kind, app] of Object.entries(apps)) {
      for (const path of ['/api/nope', '/api/no%20pe', '/api/a%2Fb', '/api/%2525', '/api/ns:nope', '/api/', '/api/x/y', '/apix']) {
        const res = await app.request(path, { method: 'PATCH' })
        expect(res.status, `${kind} ${path}`).toBe(404)
        expect(res.headers.get('x-request-id')).toMatch(/./)
        answers[kind]!.push((await res.json() as ErrorJson).error.message)
      }
    }
    expect(answers.static).toEqual(answers.param)
    expect(answers.static).toEqual(['no action named "nope"', 'no action named "no pe"', 'no action named "a/b"', 'no action named "%25"', 'no action named "ns:nope"', 'no such route', 'no such route', 'no such route'])
    // Both serve their actions, by any method the action takes, also percent-encoded.
    expect(await (await apps.param.request('/api/ns:echo?x=1')).json()).toEqual({ x: '1' })
    expect(await (await apps.param.request('/api/ns%3Aecho', postJson({ x: '2' }))).json()).toEqual({ x: '2' })
    expect(await (await apps.static.request('/api/math.ad%64?a=1&b=2')).json()).toEqual({ sum: 3 })
    expect((await apps.static.request('/api/math.add', { method: 'PUT' })).status).toBe(405)
  })

  it('400 for malformed JSON, invalid UTF-8 and JSON nested too deep', async () => {
    const { app } = makeApp({ jsonDepthMax: 8 })
    for (const body of ['{"a":', '{a:1}', new Uint8Array([0x7b, 0xff, 0x7d]), '['.repeat(9) + ']'.repeat(9)]) {
      const res = await app.request('/api/echo', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
      expect(res.status).toBe(400)
      expect((await res.json() as ErrorJson).error.name).toBe('MalformedJsonError')
    }
    // Brackets inside strings do not count as depth.
    const res = await app.request('/api/echo', postJson({ s: '[[[[[[[[[[[[[[[[[[' }))
    expect(res.status).toBe(200)
  })

  it('413 from the declared length, before reading anything', async () => {
    const { app } = makeApp({ bodyBytesMax: 100 })
    const res = await app.request('/api/echo', postJson({ s: 'x'.repeat(200) }, { 'content-length': '213' }))
    expect(res.status).toBe(413)
    expect((await res.json() as ErrorJson).error).toMatchObject({ name: 'PayloadTooLargeError', code: 'ERR_PAYLOAD_TOO_LARGE' })
  })

  it('413 while streaming: stops pulling soon after the limit', async () => {
    const { app } = makeApp({ bodyBytesMax: 1024 })
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 256
        controller.enqueue(new TextEncoder().encode(' '.repeat(256)))
      },
    })
    const res = await app.request('/api/echo', { method: 'POST', body: endless, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(pulled).toBeLessThan(1024 + 256 * 4)
  })

  it('415 for a non-JSON content type, and for a body without one', async () => {
    const { app } = makeApp()
    const cases: Array<Record<string, string>> = [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }, {}]
    for (const headers of cases) {
      // Bytes, not a string: a string body would get text/plain added for it.
      const res = await app.request('/api/math.add', { method: 'POST', body: new TextEncoder().encode('a=1&b=2'), headers })
      expect(res.status).toBe(415)
      expect((await res.json() as ErrorJson).error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE')
    }
  })

  it('500 carries name and an id, never the message or stack; the log has both', async () => {
    const { app, logger } = makeApp()
    const res = await app.request('/api/boom', postJson({}))
    expect(res.status).toBe(500)
    const { error } = await res.json() as ErrorJson
    expect(error).toEqual({ name: 'Error', message: 'internal error', code: 'ERR_INTERNAL', retryable: false, id: expect.any(String) as string })
    const line = logger.lines.find((l) => l.level === 'error')
    expect(line?.fields.errorId).toBe(error.id)
    expect(line?.fields.stack).toMatch(/hunter2[\s\S]*at /)
  })

  it('an ActionError chooses its status, code and details', async () => {
    const { app } = makeApp()
    const res = await app.request('/api/teapot', postJson({}))
    expect(res.status).toBe(418)
    expect(await res.json()).toEqual({ error: { name: 'ActionError', message: 'I am a teapot', code: 'ERR_TEAPOT', retryable: false, details: { brew: 'earl grey' } } })
  })

  it('a typed error from another copy of troupe keeps its status (matched by shape)', async () => {
    class ForeignError extends Error {
      readonly code = 'ERR_GONE'
      readonly status = 410
      readonly retryable = false
      override readonly name = 'GoneError'
    }
    const foreign = defineAction({ name: 'foreign', input: z.object({}), run: () => { throw new ForeignError('it left') } })
    const { app } = makeApp({ actions: [foreign] })
    const res = await app.request('/api/foreign', postJson({}))
    expect(res.status).toBe(410)
    expect(await res.json()).toEqual({ error: { name: 'GoneError', message: 'it left', code: 'ERR_GONE', retryable: false } })
  })

  it('output that cannot be JSON becomes a 500, not a crash', async () => {
    const big = defineAction({ name: 'big', input: z.object({}), run: () => ({ n: 1n }) })
    const { app } = makeApp({ actions: [big] })
    const res = await app.request('/api/big', postJson({}))
    expect(res.status).toBe(500)
    expect((await res.json() as ErrorJson).error.name).toBe('TypeError')
  })

  it('405 for other methods, and for GET on a POST-only action', async () => {
    const postOnly = defineAction({ name: 'post-only', input: z.object({}), get: false, run: () => 1 })
    const { app } = makeApp({ actions: [postOnly] })
    const put = await app.request('/api/post-only', { method: 'PUT' })
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('POST')
    const get = await app.request('/api/post-only')
    expect(get.status).toBe(405)
    expect((await app.request('/api/post-only', postJson({}))).status).toBe(200)
  })
})

describe('built-in routes', () => {
  it('GET /status serves whatever status() returns', async () => {
    const { app } = makeApp({ status: async () => ({ peer: { id: 'peer-1' }, members: [{ id: 'peer-2', state: 'suspect' }] }) })
    const res = await app.request('/status')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ peer: { id: 'peer-1' }, members: [{ id: 'peer-2', state: 'suspect' }] })
  })

  it('GET /health is 200 by default, 503 when the check says no or throws', async () => {
    expect(await (await makeApp().app.request('/health')).json()).toEqual({ ok: true })
    const sick = await makeApp({ health: () => ({ ok: false, reason: 'no quorum' } as { ok: boolean }) }).app.request('/health')
    expect(sick.status).toBe(503)
    expect(await sick.json()).toEqual({ ok: false, reason: 'no quorum' })
    const broken = await makeApp({ health: () => { throw new Error('disk') } }).app.request('/health')
    expect(broken.status).toBe(503)
    expect((await broken.json() as ErrorJson).error.name).toBe('UnavailableError')
  })

  it('GET /api lists actions with descriptions and input JSON Schema', async () => {
    const { app } = makeApp()
    const res = await app.request('/api')
    const body = await res.json() as { version: string, actions: Array<{ name: string, description?: string, input?: { properties?: object } }> }
    expect(body.version).toBe('9.9.9')
    expect(body.actions.map((a) => a.name)).toEqual(['math.add', 'echo', 'boom', 'teapot'])
    expect(body.actions[0]).toMatchObject({ name: 'math.add', description: 'adds two numbers', input: { type: 'object', required: ['a', 'b'] } })
    expect(res.headers.get('x-troupe-version')).toBe('9.9.9')
  })
})

describe('the action route without Hono (direct) and through Hono answer alike', () => {
  // With a middleware ahead of the actions (here one that only calls next()), every action request goes through
  // Hono's router and context; without one, the app's request wrapper serves it directly. Same requests, same
  // answers: status, body (error ids aside), headers, what observers see and what is logged.
  const slowBig = defineAction({ name: 'slow-big', input: z.object({}), run: async () => { await Promise.resolve(); return { n: 1n } } })
  const later = defineAction({ name: 'later', input: z.object({ n: z.coerce.number() }), run: async (_ctx, { n }) => { await Promise.resolve(); return n * 2 } })
  const postOnly = defineAction({ name: 'post-only', input: z.object({}), get: false, run: () => 'posted' })
  const requests: Array<[string, RequestInit?]> = [
    ['/api/math.add?a=1&b=2'],
    ['/api/math.add', postJson({ a: 2, b: 3 })],
    ['/api/math.add?a=x'],
    ['/api/math.add', postJson({ a: 'x' })],
    ['/api/math.add', postJson('{"a":')],
    ['/api/math.add', { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } }],
    ['/api/math.add', { method: 'POST', body: '', headers: {} }],
    ['/api/echo?x=%41&tag=a&tag=b&__proto__=p'],
    ['/api/echo'],
    ['/api/boom'],
    ['/api/boom', postJson({})],
    ['/api/teapot'],
    ['/api/slow-big'],
    ['/api/later?n=21'],
    ['/api/later?n=x'],
    ['/api/post-only'],
    ['/api/post-only', postJson({})],
    ['/api/post-only', { method: 'PUT' }],
    ['/api/math.add?a=1&b=2', { method: 'HEAD' }],
    ['/api/math%2Eadd?a=1&b=2'],
    ['/api/nope'],
    ['/api/math.add/'],
    ['/api/math.add?a=1&b=2', { headers: { 'x-request-id': 'mine-1' } }],
  ]
  const build = (ahead: boolean) => {
    const seen: unknown[] = []
    const built = makeApp({
      actions: [add, echo, boom, teapot, slowBig, later, postOnly],
      newId: () => 'id',
      extend: (hono) => {
        if (ahead) hono.use('/api/*', (_c, next) => next())
        observeRequests(hono, ({ path, method, status, action }) => { seen.push({ path, method, status, action }) })
      },
    })
    return { ...built, seen }
  }
  const answers = async (app: ReturnType<typeof build>['app']) => {
    const out: unknown[] = []
    for (const [path, init] of requests) {
      const res = await app.request(path, init)
      const headers = Object.fromEntries([...res.headers].filter(([k]) => k !== 'x-request-id' || path.includes('?a=1&b=2')))
      out.push({ path, method: init?.method ?? 'GET', status: res.status, headers, body: await res.text() })
    }
    return out
  }

  it('over app.request()', async () => {
    const direct = build(false)
    const routed = build(true)
    // Which requests Hono routed (HEAD as GET, the path decoded): none of the direct app's GET or POST of one of its
    // actions' own paths.
    const routedPaths = async (app: typeof direct.app) => {
      // Hono's router settles on its first match, then keeps its own `match`: wrapped after that.
      expect((await app.request('/health')).status).toBe(200)
      const paths: string[] = []
      const match = app.router.match.bind(app.router)
      app.router.match = (method, path) => { paths.push(`${method} ${path}`); return match(method, path) }
      return paths
    }
    const directRouted = await routedPaths(direct.app)
    const routedRouted = await routedPaths(routed.app)
    const a = await answers(direct.app)
    const b = await answers(routed.app)
    expect(routedRouted).toHaveLength(requests.length)
    expect(directRouted).toEqual(['GET /api/post-only', 'PUT /api/post-only', 'GET /api/math.add', 'GET /api/math.add', 'GET /api/nope', 'GET /api/math.add/'])
    expect(a).toEqual(b)
    expect(direct.seen).toEqual(routed.seen)
    // The logged stacks differ by the frames of the way taken; the rest of each line is the same.
    const lines = (l: typeof direct.logger.lines) => l.map(({ fields: { stack, ...fields }, ...line }) => ({ ...line, fields, stack: String(stack).split('\n')[0] }))
    expect(lines(direct.logger.lines)).toEqual(lines(routed.logger.lines))
    expect(direct.logger.lines).toHaveLength(3)
    // The requests cover both: answers, 4xx and 5xx by each way.
    expect(new Set(a.map(x => (x as { status: number }).status))).toEqual(new Set([200, 400, 404, 405, 415, 418, 422, 500]))
  })
})
