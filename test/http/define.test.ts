import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { defineAction, type Action } from '../../src/app/action.js'
import type { StandardSchemaV1 } from '../../src/app/standard-schema.js'
import { ConfigError } from '../../src/errors.js'
import { createHttpApp } from '../../src/http/app.js'
import { add } from './fixtures.js'

describe('defineAction', () => {
  it('infers the input type from a zod schema', () => {
    defineAction({
      name: 'typed',
      input: z.object({ n: z.coerce.number(), tags: z.array(z.string()).optional() }),
      run: (_ctx, input) => {
        expectTypeOf(input).toEqualTypeOf<{ n: number, tags?: string[] | undefined }>()
        return input.n
      },
    })
  })

  it('actions with different inputs share one list type', () => {
    const n = defineAction({ name: 'n', input: z.object({ n: z.number() }), run: (_ctx, { n }) => n })
    const s = defineAction({ name: 's', input: z.string(), run: (_ctx, str) => str.length })
    expectTypeOf([n, s]).toExtend<ReadonlyArray<Action<never, unknown>>>()
    expectTypeOf([n, s]).toExtend<readonly Action[]>()
    expectTypeOf(n.run).parameter(1).toEqualTypeOf<{ n: number }>()
  })

  it('accepts any Standard Schema, not only zod', async () => {
    const evenOnly: StandardSchemaV1<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'hand-made',
        validate: (v) => typeof v === 'object' && v !== null && (v as { n?: unknown }).n === 2 ? { value: 2 } : { issues: [{ message: 'want n=2', path: [{ key: 'n' }] }] },
      },
    }
    const twice = defineAction({ name: 'twice', input: evenOnly, run: (_ctx, n) => n * 2 })
    const app = createHttpApp({ actions: [twice], peer: { id: 'p' }, version: '1', status: () => ({}) })
    const ok = await app.request('/api/twice', { method: 'POST', body: '{"n":2}', headers: { 'content-type': 'application/json' } })
    expect(await ok.json()).toBe(4)
    const bad = await app.request('/api/twice', { method: 'POST', body: '{"n":3}', headers: { 'content-type': 'application/json' } })
    expect(bad.status).toBe(422)
    expect((await bad.json() as { error: { fields: unknown } }).error.fields).toEqual([{ path: ['n'], message: 'want n=2' }])
    // Not zod, so the listing has no JSON Schema for it.
    const listing = await (await app.request('/api')).json() as { actions: Array<Record<string, unknown>> }
    expect(listing.actions[0]).toEqual({ name: 'twice', methods: ['GET', 'POST'] })
  })

  it.each(['', 'has space', 'slash/y', 'ünïcode', '?q', 'x'.repeat(129)])('refuses the name %j with a ConfigError', (name) => {
    expect(() => defineAction({ name, input: z.object({}), run: () => null })).toThrow(ConfigError)
    expect(() => defineAction({ name, input: z.object({}), run: () => null })).toThrow(/invalid action name/)
  })

  it.each(['a', 'orders.create', 'ns:verb-noun_2', 'A.B:C-D_E'])('accepts the name %j', (name) => {
    expect(defineAction({ name, input: z.object({}), run: () => null }).name).toBe(name)
  })

  it('refuses an input that is not a schema, and a bad timeout', () => {
    expect(() => defineAction({ name: 'x', input: { parse: () => 1 } as never, run: () => null })).toThrow(/Standard Schema/)
    expect(() => defineAction({ name: 'x', input: z.object({}), timeoutMs: 0, run: () => null })).toThrow(/timeoutMs/)
    // Node fires a longer timer after 1 ms: every call would time out at once.
    expect(() => defineAction({ name: 'x', input: z.object({}), timeoutMs: 2 ** 31, run: () => null })).toThrow(/at most 2147483647 ms \(TIMER_MS_MAX\)/)
  })

  it('createHttpApp refuses duplicate names and nonsense limits', () => {
    const base = { peer: { id: 'p' }, version: '1', status: () => ({}) }
    expect(() => createHttpApp({ ...base, actions: [add, add] })).toThrow(/defined twice/)
    expect(() => createHttpApp({ ...base, actions: [], bodyBytesMax: -1 })).toThrow(ConfigError)
    expect(() => createHttpApp({ ...base, actions: [], actionTimeoutMs: Number.NaN })).toThrow(/actionTimeoutMs/)
    expect(() => createHttpApp({ ...base, actions: [], actionTimeoutMs: 2 ** 31 })).toThrow(/actionTimeoutMs must be at most/)
  })
})
