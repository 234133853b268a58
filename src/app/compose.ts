// Middleware runs in the order given, each deciding whether to call `next`.
// Like hono's compose, but the chain returns the action's output so that a
// middleware can short-circuit with a value or wrap what comes back.
import type { ActionContext } from './context.js'

export type Next = () => Promise<unknown>

/**
 * `async (ctx, next) => { ...; return next() }`. Returning a value without
 * calling `next` short-circuits; returning `undefined` after calling `next`
 * passes the downstream output through, so hono-style `await next()` works.
 */
export type ActionMiddleware = (ctx: ActionContext, next: Next) => unknown

export function compose(middleware: readonly ActionMiddleware[], last: (ctx: ActionContext) => Promise<unknown>): (ctx: ActionContext) => Promise<unknown> {
  return (ctx) => {
    let called = -1
    const dispatch = async (i: number): Promise<unknown> => {
      // A middleware calling next twice would run the action twice.
      if (i <= called) throw new Error('next() called more than once')
      called = i
      const fn = middleware[i]
      if (fn === undefined) return last(ctx)
      let downstream: { value: unknown } | undefined
      const next: Next = async () => {
        const value = await dispatch(i + 1)
        downstream = { value }
        return value
      }
      const value = await fn(ctx, next)
      return value === undefined && downstream !== undefined ? downstream.value : value
    }
    return dispatch(0)
  }
}
