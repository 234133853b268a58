// Property tests: whatever arrives, the HTTP layer answers with a status it
// means, an `{ error }` body on failure, and keeps serving.
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen, type Listening } from '../../src/http/server.js'
import { fuzzRuns } from '../helpers/fuzz.js'
import { add, echo, makeApp } from './fixtures.js'

const BODY_BYTES_MAX = 4096
/** Runs per property; `npm run test:fuzz` multiplies them (FUZZ_SCALE). */
const RUNS = fuzzRuns({ app: 400, socket: 120, garbage: 50 })
// No action here throws on purpose, so any 5xx would be a bug in the layer.
const SANE = new Set([200, 400, 404, 405, 413, 415, 422])
const { app, logger } = makeApp({ actions: [add, echo], bodyBytesMax: BODY_BYTES_MAX })

const deep = fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'])).map(([d, [open, close]]) => open!.repeat(d) + (open === '[' ? '' : '1') + close!.repeat(d))
const huge = fc.tuple(fc.integer({ min: BODY_BYTES_MAX - 16, max: BODY_BYTES_MAX * 4 }), fc.constantFrom('x', ' ', '[')).map(([n, c]) => c.repeat(n))
const body = fc.oneof(
  { arbitrary: fc.json(), weight: 2 },
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.record({ a: fc.oneof(fc.integer(), fc.string()), b: fc.oneof(fc.double(), fc.string()) }).map((r) => JSON.stringify(r)),
  { arbitrary: deep, weight: 2 },
  { arbitrary: huge, weight: 2 },
)
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/ld+json'), weight: 4 },
  fc.constantFrom('text/plain', 'multipart/form-data; boundary=x', undefined),
  fc.stringMatching(/^[a-z/+.; =-]{0,40}$/),
)
const path = fc.oneof(
  fc.tuple(fc.constantFrom('/api/', '/', '/api/math.', '/status/', '/health/'), fc.webSegment()).map(([p, s]) => p + s),
  { arbitrary: fc.constantFrom('/api/math.add', '/api/echo'), weight: 6 },
  fc.constantFrom('/api', '/status', '/health'),
  fc.webPath(),
).chain((p) => fc.webQueryParameters().map((q) => (q === '' ? p : `${p}?${q}`)))
const method = fc.oneof({ arbitrary: fc.constant('POST'), weight: 4 }, fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'))
const request = fc.record({ method, path, body, contentType })
type Req = { method: string, path: string, body: string | Uint8Array, contentType: string | undefined }

function init(r: Req): RequestInit {
  const withBody = r.method !== 'GET' && r.method !== 'HEAD'
  return { method: r.method, body: withBody ? r.body : undefined, headers: r.contentType === undefined ? {} : { 'content-type': r.contentType } }
}

// Statuses answered so far: a fuzz that never reaches an action proves little.
const answered = new Set<number>()

async function assertSane(r: Req, res: Response): Promise<void> {
  answered.add(res.status)
  expect(SANE, `${r.method} ${r.path} -> ${res.status}`).toContain(res.status)
  if (r.method === 'HEAD') return
  const json = await res.json() as { error?: { name: unknown, message: unknown, code: unknown } }
  if (res.status >= 400) {
    expect(typeof json.error?.name).toBe('string')
    expect(typeof json.error?.message).toBe('string')
    expect(typeof json.error?.code).toBe('string')
  }
}

describe('fuzzing the app without a port', () => {
  it('answers every request with a sane status and shape', async () => {
    await fc.assert(fc.asyncProperty(request, async (r) => {
      await assertSane(r, await app.request(r.path, init(r)))
    }), { numRuns: RUNS.app })
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([])
    expect([...answered].sort()).toEqual([200, 400, 404, 405, 413, 415, 422])
  })
})

describe('fuzzing over a real socket', () => {
  let server: Listening
  beforeAll(async () => { server = await listen(app, { port: 0 }) })
  afterAll(async () => { await server.close() })

  it('answers sanely and keeps answering', async () => {
    await fc.assert(fc.asyncProperty(request, async (r) => {
      await assertSane(r, await fetch(`${server.url}${r.path}`, init(r)))
    }), { numRuns: RUNS.socket })
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('survives raw garbage on the socket', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2048 }), async (bytes) => {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.end(bytes))
        socket.on('error', () => resolve()) // the server may reset a garbage connection; that is its right
        socket.on('close', () => resolve())
        socket.resume()
      })
    }), { numRuns: RUNS.garbage })
    const res = await fetch(`${server.url}/api/math.add?a=1&b=2`)
    expect(await res.json()).toEqual({ sum: 3 })
  })
})
