// Per-request observers (request metrics, the dashboard's request counter):
// each is told once per answered request its path, method, status and
// duration. On an app made by createHttpApp they run from the app's own
// request wrapper, not from a Hono middleware: a route that only one handler
// matches keeps Hono's direct path and can answer synchronously, which any
// `app.use('*')` would take away (about a third of an action's cost, see
// docs/performance.md "Actions"). On any other Hono app they run from a middleware.
import type { Env, Hono } from 'hono'

export interface AnsweredRequest {
  /** As Hono's `c.req.path`: percent-decoded, without the query. */
  path: string
  method: string
  /** 500 when the app threw instead of answering. */
  status: number
  /** From the request's arrival at the app to its response (before the body is sent). */
  ms: number
  /**
   * The action the path named, once the action route found it among the app's
   * actions (so an observer need not parse the path). Unset on the middleware
   * fallback (an app not made by createHttpApp) and for every other route.
   */
  action?: string
}

/** Must be cheap and must not throw: it runs on every request. */
export type RequestObserver = (request: AnsweredRequest) => void

const observersOf = new WeakMap<object, RequestObserver[]>()

/** createHttpApp's side: its wrapper calls every observer in this list. */
export function observedBy(app: object): RequestObserver[] {
  let list = observersOf.get(app)
  if (list === undefined) observersOf.set(app, list = [])
  return list
}

/** Calls `observer` for every request `app` answers, from now on. */
export function observeRequests<E extends Env>(app: Hono<E>, observer: RequestObserver, now: () => number = () => performance.now()): void {
  const list = observersOf.get(app)
  if (list !== undefined) {
    list.push(observer)
    return
  }
  app.use('*', async (c, next) => {
    const started = now()
    try {
      await next()
    } finally {
      // A handler's throw has already become c.res through onError; a bare throw here still counts as 500.
      observer({ path: c.req.path, method: c.req.method, status: c.finalized ? c.res.status : 500, ms: now() - started, action: (c.env as { action?: string } | undefined)?.action })
    }
  })
}
