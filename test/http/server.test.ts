// The same app through a real socket: what a client on the network sees.
import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineAction } from '../../src/app/action.js'
import { ConfigError } from '../../src/errors.js'
import { listen, type Listening } from '../../src/http/server.js'
import { makeApp, postJson, waiter, type ErrorJson } from './fixtures.js'

const BODY_BYTES_MAX = 64 * 1024
const signals: AbortSignal[] = []
const { app } = makeApp({ bodyBytesMax: BODY_BYTES_MAX })
const withWaiter = makeApp({ actions: [waiter('slow', signals)] }).app
let server: Listening

beforeAll(async () => {
  server = await listen(app, { port: 0, host: '127.0.0.1' })
})
afterAll(async () => {
  await server.close()
})

async function call(path: string, init?: RequestInit): Promise<{ status: number, body: unknown }> {
  const res = await fetch(`${server.url}${path}`, init)
  return { status: res.status, body: await res.json() }
}

/** Streams chunks until the server answers; returns the status and how much was sent. */
function streamUntilAnswered(url: string, bytesCap: number): Promise<{ status: number, sent: number, body: string }> {
  return new Promise((resolve, reject) => {
    let sent = 0
    let answered = false
    const chunk = Buffer.alloc(16 * 1024, 0x20)
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sent, body }))
    })
    // Once the server has answered it may cut the upload short; that is expected.
    req.on('error', (err) => { if (!answered) reject(err) })
    const pump = (): void => {
      while (!answered && sent < bytesCap) {
        sent += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

describe('over a real socket', () => {
  it('answers success, 422, 404, 400, 415, typed status and 500', async () => {
    expect(await call('/api/math.add?a=2&b=2')).toEqual({ status: 200, body: { sum: 4 } })
    expect(await call('/api/math.add', postJson({ a: 2, b: 5 }))).toEqual({ status: 200, body: { sum: 7 } })
    const invalid = await call('/api/math.add', postJson({ a: 'x', b: 1 }))
    expect(invalid.status).toBe(422)
    expect((invalid.body as ErrorJson).error.fields?.[0]?.path).toEqual(['a'])
    expect((await call('/api/missing', postJson({}))).status).toBe(404)
    expect((await call('/api/echo', postJson('{"a":'))).status).toBe(400)
    expect((await call('/api/echo', { method: 'POST', body: 'hi', headers: { 'content-type': 'text/plain' } })).status).toBe(415)
    const typed = await call('/api/teapot', postJson({}))
    expect(typed.status).toBe(418)
    const crash = await call('/api/boom', postJson({}))
    expect(crash.status).toBe(500)
    expect(Object.keys((crash.body as ErrorJson).error).sort()).toEqual(['code', 'id', 'message', 'name', 'retryable'])
    expect(JSON.stringify(crash.body)).not.toMatch(/hunter2|at .*\.ts/)
  })

  it('every answer carries x-request-id and x-troupe-version, once each, with the body framed by content-length', async () => {
    for (const [path, init, status] of [
      ['/api/math.add?a=1&b=2', undefined, 200],
      ['/api/math.add', postJson({ a: 1, b: 2 }), 200],
      ['/api/math.add?a=x', undefined, 422],
      ['/api/missing', undefined, 404],
      ['/api/boom', postJson({}), 500],
      ['/health', undefined, 200],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, init)
      expect(res.status, path).toBe(status)
      expect(res.headers.get('x-request-id'), path).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/)
      expect(res.headers.get('x-troupe-version'), path).toBe('9.9.9')
      expect(res.headers.get('content-length'), path).toBe(String(Buffer.byteLength(await res.text())))
    }
    const echoed = await fetch(`${server.url}/api/math.add?a=1&b=2`, { headers: { 'x-request-id': 'given-1' } })
    expect(echoed.headers.get('x-request-id')).toBe('given-1')
    const raw = await new Promise<string[]>((resolve, reject) => {
      httpRequest(`${server.url}/api/math.add?a=1&b=2`, (res) => {
        res.resume()
        res.on('end', () => resolve(res.rawHeaders.filter((_, i) => i % 2 === 0).map(h => h.toLowerCase())))
      }).on('error', reject).end()
    })
    expect(raw.filter(h => h === 'x-request-id')).toHaveLength(1)
    expect(raw.filter(h => h === 'x-troupe-version')).toHaveLength(1)
    expect(raw).not.toContain('transfer-encoding')
  })

  it('keeps the headers a middleware ahead of the actions set, besides the two of every answer', async () => {
    const { app: guarded } = makeApp({
      extend: (hono) => {
        hono.use('/api/*', async (c, next) => {
          c.header('x-extra', 'kept')
          await next()
        })
      },
    })
    const other = await listen(guarded, { port: 0, host: '127.0.0.1' })
    try {
      for (const init of [undefined, postJson({ a: 1, b: 2 })]) {
        const res = await fetch(`${other.url}/api/math.add?a=1&b=2`, init)
        expect(await res.json()).toEqual({ sum: 3 })
        expect(res.headers.get('x-extra')).toBe('kept')
        expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/)
        expect(res.headers.get('x-troupe-version')).toBe('9.9.9')
      }
    } finally {
      await other.close()
    }
  })

  it('413 for a declared length over the limit', async () => {
    const res = await call('/api/echo', postJson({ s: 'x'.repeat(BODY_BYTES_MAX) }))
    expect(res.status).toBe(413)
  })

  it('413 for a chunked upload, answered while the client is still sending', async () => {
    const cap = 64 * 1024 * 1024
    const { status, sent, body } = await streamUntilAnswered(`${server.url}/api/echo`, cap)
    expect(status).toBe(413)
    expect((JSON.parse(body) as ErrorJson).error.code).toBe('ERR_PAYLOAD_TOO_LARGE')
    expect(sent).toBeLessThan(cap)
    // The server still answers afterwards.
    expect((await call('/health')).status).toBe(200)
  })

  it('a client that disconnects fires ctx.signal', async () => {
    const own = await listen(withWaiter, { port: 0 })
    try {
      const client = new AbortController()
      const pending = fetch(`${own.url}/api/slow`, { ...postJson({}), signal: client.signal })
      await vi.waitFor(() => expect(signals).toHaveLength(1))
      client.abort()
      await expect(pending).rejects.toThrow()
      await vi.waitFor(() => expect(signals[0]?.aborted).toBe(true))
    } finally {
      await own.close()
    }
  })

  it('a port in use is refused with a ConfigError naming the port', async () => {
    const attempt = listen(app, { port: server.port, host: '127.0.0.1' })
    await expect(attempt).rejects.toThrow(ConfigError)
    await expect(attempt).rejects.toThrow(`port ${server.port} on 127.0.0.1 is already in use`)
  })

  it('close() ends idle keep-alive sockets at once and cuts running requests after the grace', async () => {
    const own = await listen(withWaiter, { port: 0, closeGraceMs: 100 })
    expect((await fetch(`${own.url}/health`)).status).toBe(200) // leaves an idle keep-alive socket
    const before = signals.length
    const running = fetch(`${own.url}/api/slow`, postJson({})).catch((err: unknown) => err)
    await vi.waitFor(() => expect(signals).toHaveLength(before + 1))
    const started = performance.now()
    await own.close()
    expect(performance.now() - started).toBeLessThan(2000)
    expect(await running).toBeInstanceOf(Error)
    await vi.waitFor(() => expect(signals[before]?.aborted).toBe(true))
    await expect(fetch(`${own.url}/health`)).rejects.toThrow()
  })

  it('close() lets a running request finish within the grace, then ends its keep-alive socket', async () => {
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => { release = resolve })
    let started = false
    const later = defineAction({ name: 'later', input: z.object({}), run: async () => { started = true; await gate; return 'finished' } })
    const own = await listen(makeApp({ actions: [later] }).app, { port: 0, closeGraceMs: 10_000 })
    const running = fetch(`${own.url}/api/later`, postJson({}))
    await vi.waitFor(() => expect(started).toBe(true))
    const closed = own.close()
    release()
    const res = await running
    expect(res.status).toBe(200)
    expect(await res.json()).toBe('finished')
    const closing = performance.now()
    await closed
    expect(performance.now() - closing).toBeLessThan(2000)
  })

  it('close() ends a socket that never sent a request at once, and a socket whose last response is done', async () => {
    const own = await listen(app, { port: 0, closeGraceMs: 60_000 })
    const open = (): Promise<{ socket: Socket, text: () => string, closed: Promise<void> }> => new Promise((resolve, reject) => {
      let text = ''
      const socket = connect(own.port, '127.0.0.1', () => { resolve({ socket, text: () => text, closed }) })
      const closed = new Promise<void>((done) => socket.once('close', () => { done() }))
      socket.on('data', (d: Buffer) => { text += d.toString() })
      socket.once('error', reject)
    })
    const silent = await open()
    const used = await open()
    // Two pipelined requests, both answered before close(): the socket is idle, kept alive.
    used.socket.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\nGET /status HTTP/1.1\r\nhost: x\r\n\r\n')
    await vi.waitFor(() => expect(used.text().match(/HTTP\/1\.1 200/g)).toHaveLength(2))
    // Well within the 60 s grace: nothing is running.
    await own.close()
    await Promise.all([silent.closed, used.closed])
    expect(silent.text()).toBe('')
  })

  it('aborting the listen signal closes the server', async () => {
    const stop = new AbortController()
    const own = await listen(app, { port: 0, signal: stop.signal })
    expect((await fetch(`${own.url}/health`)).status).toBe(200)
    stop.abort()
    await vi.waitFor(async () => { await expect(fetch(`${own.url}/health`)).rejects.toThrow() })
  })
})
