// Global and per-action middleware, and the ctx the action sees.
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineAction } from '../../src/app/action.js'
import type { ActionMiddleware } from '../../src/app/compose.js'
import type { ActionContext } from '../../src/app/context.js'
import { ActionError } from '../../src/app/errors.js'
import { makeApp, postJson, type ErrorJson } from './fixtures.js'

function tracer(trail: string[], tag: string): ActionMiddleware {
  return async (_ctx, next) => {
    trail.push(`${tag}>`)
    await next()
    trail.push(`<${tag}`)
  }
}

describe('middleware', () => {
  it('runs global then per-action middleware in order, around the action', async () => {
    const trail: string[] = []
    const act = defineAction({
      name: 'act', input: z.object({}), middleware: [tracer(trail, 'a1'), tracer(trail, 'a2')],
      run: () => { trail.push('run'); return 'done' },
    })
    const { app } = makeApp({ actions: [act], middleware: [tracer(trail, 'g1'), tracer(trail, 'g2')] })
    const res = await app.request('/api/act', postJson({}))
    expect(await res.json()).toBe('done')
    expect(trail).toEqual(['g1>', 'g2>', 'a1>', 'a2>', 'run', '<a2', '<a1', '<g2', '<g1'])
  })

  it('can short-circuit with a value or a typed error, before validation', async () => {
    let ran = false
    const guarded = defineAction({
      name: 'guarded', input: z.object({ n: z.number() }),
      middleware: [(ctx) => ctx.headers.get('authorization') === 'cached' ? { cached: true } : undefined],
      run: () => { ran = true; return 'ran' },
    })
    const auth: ActionMiddleware = (ctx, next) => {
      if (ctx.headers.get('authorization') === null) throw new ActionError('who are you?', { status: 401, code: 'ERR_AUTH' })
      return next()
    }
    const { app } = makeApp({ actions: [guarded], middleware: [auth] })
    const denied = await app.request('/api/guarded', postJson({ n: 'not a number' }))
    expect(denied.status).toBe(401)
    expect((await denied.json() as ErrorJson).error.code).toBe('ERR_AUTH')
    const cached = await app.request('/api/guarded', postJson({}, { authorization: 'cached' }))
    expect(await cached.json()).toEqual({ cached: true })
    expect(ran).toBe(false)
  })

  it('can read and change ctx and wrap the output', async () => {
    const who = defineAction({
      name: 'who', input: z.object({ n: z.coerce.number() }),
      middleware: [async (ctx, next) => ({ wrapped: await next() })],
      run: (ctx, { n }) => ({ user: ctx.vars.user, n }),
    })
    const identify: ActionMiddleware = (ctx, next) => {
      ctx.vars.user = ctx.headers.get('x-user')
      ctx.rawInput = { n: '7' } // middleware may rewrite the input before validation
      return next()
    }
    const { app } = makeApp({ actions: [who], middleware: [identify] })
    const res = await app.request('/api/who?n=1', { headers: { 'x-user': 'ada' } })
    expect(await res.json()).toEqual({ wrapped: { user: 'ada', n: 7 } })
  })

  it('errors thrown in middleware are answered like action errors', async () => {
    const { app, logger } = makeApp({ middleware: [() => { throw new RangeError('oops') }] })
    const res = await app.request('/api/math.add?a=1&b=2')
    expect(res.status).toBe(500)
    const { error } = await res.json() as ErrorJson
    expect(error).toMatchObject({ name: 'RangeError', message: 'internal error', id: expect.any(String) as string })
    expect(logger.lines.some((l) => l.fields.errorId === error.id)).toBe(true)
  })

  it('calling next twice is a 500, not a second run', async () => {
    let runs = 0
    const once = defineAction({ name: 'once', input: z.object({}), middleware: [async (_ctx, next) => { await next(); return next() }], run: () => ++runs })
    const { app } = makeApp({ actions: [once] })
    expect((await app.request('/api/once', postJson({}))).status).toBe(500)
    expect(runs).toBe(1)
  })
})

describe('ctx', () => {
  it('carries the action, raw input, headers, request id, logger, peer and extensions', async () => {
    let seen: ActionContext | undefined
    const look = defineAction({ name: 'look', input: z.object({ q: z.string() }), run: (ctx) => { seen = ctx; ctx.logger.info('looked'); return null } })
    const { app, logger } = makeApp({
      actions: [look],
      context: (base) => ({ actors: { peerId: base.peer.id }, requestId: 'cannot override' }),
    })
    await app.request('/api/look?q=hi', { headers: { 'x-request-id': 'req-1', 'x-thing': 'yes' } })
    expect(seen).toMatchObject({ action: 'look', method: 'GET', rawInput: { q: 'hi' }, requestId: 'req-1', peer: { id: 'peer-1' }, actors: { peerId: 'peer-1' } })
    expect(seen?.headers.get('X-Thing')).toBe('yes')
    expect(seen?.signal.aborted).toBe(false)
    expect(logger.lines).toContainEqual({ level: 'info', msg: 'looked', fields: { requestId: 'req-1', action: 'look' } })
  })

  it('fixed fields reach every ctx, read once, without being added to each call\'s ctx', async () => {
    const seen: ActionContext[] = []
    const fields = { tasks: { kind: 'tasks' }, actors: { kind: 'actors' }, requestId: 'cannot override', other: 1 }
    const look = defineAction({ name: 'look', input: z.object({}), run: (ctx) => { seen.push(ctx); return null } })
    const shadow = defineAction({ name: 'shadow', input: z.object({}), run: (ctx) => { (ctx as unknown as Record<string, unknown>).tasks = 'mine'; seen.push(ctx); return null } })
    const { app } = makeApp({
      actions: [look, shadow],
      fields,
      context: () => ({ other: 2, more: 3 }),
    })
    await app.request('/api/look', { headers: { 'x-request-id': 'req-1' } })
    await app.request('/api/shadow', postJson({}))
    await app.request('/api/look', { headers: { 'x-request-id': 'req-2' } })
    const [first, shadowed, second] = seen as unknown as Array<Record<string, unknown>>
    for (const ctx of [first, second]) {
      expect(ctx!.tasks).toBe(fields.tasks)
      expect(ctx!.actors).toBe(fields.actors)
      expect(Object.hasOwn(ctx!, 'tasks')).toBe(false)
      // Fields win over context()'s, which still adds what they do not name.
      expect(ctx!.other).toBe(1)
      expect(ctx!.more).toBe(3)
    }
    expect([first!.requestId, second!.requestId]).toEqual(['req-1', 'req-2'])
    // An action may shadow a field on its own ctx; the next call sees the field again.
    expect(shadowed!.tasks).toBe('mine')
    expect(second!.tasks).toBe(fields.tasks)
  })
})
