// ctx.signal and the answers given when an action is abandoned: timeout,
// client gone, peer stopping. Timers are faked; nothing sleeps.
import { getEventListeners } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { defineAction } from '../../src/app/action.js'
import { makeApp, postJson, waiter, type ErrorJson } from './fixtures.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('deadlines', () => {
  it('an action past its timeoutMs gets 504 TimeoutError and its signal fires', async () => {
    vi.useFakeTimers()
    const signals: AbortSignal[] = []
    const { app, logger } = makeApp({ actions: [waiter('slow', signals, 50)] })
    const pending = app.request('/api/slow', postJson({}))
    await vi.advanceTimersByTimeAsync(49)
    expect(signals[0]?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    const res = await pending
    expect(res.status).toBe(504)
    const { error } = await res.json() as ErrorJson
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ERR_TIMEOUT', retryable: true, id: expect.any(String) as string })
    expect(signals[0]?.aborted).toBe(true)
    // The action's own rejection came after the answer; it is logged, not lost.
    expect(logger.lines.some((l) => l.msg.includes('after its caller was answered'))).toBe(true)
  })

  it('the factory default applies when the action sets none', async () => {
    vi.useFakeTimers()
    const signals: AbortSignal[] = []
    const { app } = makeApp({ actions: [waiter('slow', signals)], actionTimeoutMs: 1000 })
    const pending = app.request('/api/slow', postJson({}))
    await vi.advanceTimersByTimeAsync(1000)
    expect((await pending).status).toBe(504)
  })

  it('the deadline counts from the request\'s arrival in the app, by its clock', async () => {
    vi.useFakeTimers()
    // The app's clock: the request arrives at 0; by the time the action runs, 600 ms have passed.
    const times = [0]
    const { app } = makeApp({ actions: [waiter('slow', [], 1000)], now: () => times.shift() ?? 600 })
    const pending = app.request('/api/slow', postJson({}))
    await vi.advanceTimersByTimeAsync(399)
    let settled = false
    void Promise.resolve(pending).then(() => { settled = true })
    await vi.advanceTimersByTimeAsync(0)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect((await pending).status).toBe(504)
  })

  it('a client that goes away fires ctx.signal', async () => {
    const signals: AbortSignal[] = []
    const { app } = makeApp({ actions: [waiter('slow', signals)] })
    const client = new AbortController()
    const pending = app.request(new Request('http://peer/api/slow', { ...postJson({}), signal: client.signal }))
    await vi.waitFor(() => expect(signals).toHaveLength(1))
    client.abort()
    const res = await pending
    expect(signals[0]?.aborted).toBe(true)
    expect(res.status).toBe(499)
  })

  it('a stopping peer fires ctx.signal and answers 503; later calls get 503 at once', async () => {
    const signals: AbortSignal[] = []
    const peer = new AbortController()
    const { app } = makeApp({ actions: [waiter('slow', signals)], signal: peer.signal })
    const pending = app.request('/api/slow', postJson({}))
    await vi.waitFor(() => expect(signals).toHaveLength(1))
    peer.abort()
    const res = await pending
    expect(res.status).toBe(503)
    expect((await res.json() as ErrorJson).error.name).toBe('UnavailableError')
    expect((await app.request('/api/slow', postJson({}))).status).toBe(503)
    expect(signals).toHaveLength(1)
  })

  it('actions that read ctx.signal leave no listener on the peer signal, answered at once or later', async () => {
    const peer = new AbortController()
    const seen: boolean[] = []
    const now = defineAction({ name: 'now', input: z.object({}), run: (ctx) => { seen.push(ctx.signal.aborted); return 'sync' } })
    const later = defineAction({ name: 'later', input: z.object({}), run: async (ctx) => { seen.push(ctx.signal.aborted); await Promise.resolve(); return 'async' } })
    const { app } = makeApp({ actions: [now, later], signal: peer.signal })
    for (const name of ['now', 'later', 'now']) expect(await (await app.request(`/api/${name}`, postJson({}))).json()).toBe(name === 'now' ? 'sync' : 'async')
    expect(seen).toEqual([false, false, false])
    expect(getEventListeners(peer.signal, 'abort')).toHaveLength(0)
  })
})
