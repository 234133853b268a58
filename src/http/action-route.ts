// `GET|POST /api/<name>`: find the action, read its input, run it.
import { isThenable } from '../util/thenable.js'
import { Hono, type Context, type Handler } from 'hono'
import { tryDecodeURIComponent } from 'hono/utils/url'
import type { Action } from '../app/action.js'
import type { HttpBindings, HttpEnv } from './app.js'
import { readJsonBody, type BodyLimits } from './body.js'
import { MethodNotAllowedError, NotFoundError } from './errors.js'
import { queryInput } from './query.js'
import { actionRunner, type ActionCall, type ActionRunner, type RunnerOptions } from './run.js'

export interface ActionRouteOptions extends RunnerOptions, BodyLimits {
  actions: readonly Action[]
  version: string
  /**
   * True when nothing registered ahead of this route can run before it (no
   * middleware on its paths): the answer is then built here with every header
   * in it, rather than by `c.json` (which would keep headers such a
   * middleware set with `c.header`). Asked at each answer; cache it.
   */
  plainAnswers: () => boolean
}

export interface ActionRoute {
  app: Hono<HttpEnv>
  /** The handlers of the action paths, so that the parent app can tell them from its other routes. */
  handlers: ReadonlySet<Handler<HttpEnv>>
  /**
   * For a request no route answered: the 404 of `/api/<name>` naming no action (as the action route would
   * have answered it), else undefined. Called by the parent app's not-found handler.
   */
  unknown: (path: string) => NotFoundError | undefined
  /**
   * The action route without Hono: the parent app's request wrapper calls it first, with the request's target
   * (`/api/<name>?query`). For a GET or POST of an action's own static path, with nothing registered ahead
   * of the route (`plainAnswers`), it runs the action as the route would and answers; an error becomes its
   * answer through `fail`, as the app's onError would. Anything else (HEAD, another method, a percent-encoded
   * or unknown path, GET of a POST-only action, middleware ahead) is undefined: Hono routes it as usual.
   * Hono's routing and per-request context cost ~0.7 µs of a ~4 µs request (docs/performance.md, session 16).
   */
  direct: (request: Request, bindings: HttpBindings, target: string, fail: DirectFailure) => Response | Promise<Response> | undefined
}

/** Answers `err` for a request the action route served directly (`path` without the query). */
export type DirectFailure = (err: unknown, bindings: HttpBindings, path: string) => Response

export function actionRoute(options: ActionRouteOptions): ActionRoute {
  const routes = new Map<string, { action: Action, run: ActionRunner }>()
  for (const action of options.actions) routes.set(action.name, { action, run: actionRunner(action, options) })
  const find = (name: string): { action: Action, run: ActionRunner } => {
    const route = routes.get(name)
    if (route === undefined) throw unknownAction(name)
    return route
  }
  const plainAnswer = (bindings: HttpBindings, value: unknown): Response => answerJson(200, value ?? null, bindings, options.version)
  const respond = (c: Context<HttpEnv>, value: unknown): Response => options.plainAnswers() ? plainAnswer(c.env, value) : c.json(value ?? null)
  const answer = (c: Context<HttpEnv>, output: unknown): Response | Promise<Response> => {
    if (isThenable(output)) return Promise.resolve(output).then((value) => respond(c, value))
    return respond(c, output)
  }

  // One handler for every method, so that it is the only one Hono matches: a
  // GET of a synchronous action is then answered without a promise.
  const handle = (c: Context<HttpEnv>, route: { action: Action, run: ActionRunner }): Response | Promise<Response> => {
    const { action, run } = route
    c.env.action = action.name
    const verb = c.req.method
    if (verb !== 'GET' && verb !== 'HEAD' && verb !== 'POST') {
      c.header('allow', action.get ? 'GET, HEAD, POST' : 'POST')
      throw new MethodNotAllowedError(`${verb} is not allowed on /api/${action.name}`)
    }
    // HEAD is answered like GET, without a body (Hono drops it).
    if (verb !== 'POST' && !action.get) {
      c.header('allow', 'POST')
      throw new MethodNotAllowedError(`action ${action.name} takes POST only`)
    }
    if (verb === 'POST') return readJsonBody(c.req.raw, options, options.logger).then((rawInput) => answer(c, run(new RouteCall('POST', rawInput, c.env, c.req.raw))))
    return answer(c, run(new RouteCall('GET', queryInput(c.req.url), c.env, c.req.raw)))
  }
  const app = new Hono<HttpEnv>()
  const handlers = new Set<Handler<HttpEnv>>()
  // One static path per action (`/hello`): Hono finds it in its table of static paths, without running its
  // routing regexp or decoding a parameter. A name with `:` would read as a parameter in a Hono path, and a
  // static path next to `/:name` would give Hono two routes for one request, so such an app keeps `/:name`.
  // The parent app's paths of those routes, for `direct`.
  const paths = new Map<string, { action: Action, run: ActionRunner }>()
  if (options.actions.every((action) => !action.name.includes(':'))) {
    for (const route of routes.values()) {
      const handler = (c: Context<HttpEnv>): Response | Promise<Response> => handle(c, route)
      handlers.add(handler)
      app.all(`/${route.action.name}`, handler)
      paths.set(`${API_PREFIX}${route.action.name}`, route)
    }
  } else {
    const handler = (c: Context<HttpEnv>): Response | Promise<Response> => handle(c, find(c.req.param('name') ?? ''))
    handlers.add(handler)
    app.all('/:name', handler)
  }
  // What `/:name` would have matched (one segment, decoded as Hono decodes a parameter) and found no action for.
  const unknown = (path: string): NotFoundError | undefined => {
    if (!path.startsWith(API_PREFIX) || path.length === API_PREFIX.length || path.includes('/', API_PREFIX.length)) return undefined
    const name = tryDecodeURIComponent(path.slice(API_PREFIX.length))
    return routes.has(name) ? undefined : unknownAction(name)
  }
  const direct = (request: Request, bindings: HttpBindings, target: string, fail: DirectFailure): Response | Promise<Response> | undefined => {
    const verb = request.method
    if (verb !== 'GET' && verb !== 'POST') return undefined
    const query = target.indexOf('?')
    const path = query === -1 ? target : target.slice(0, query)
    const route = paths.get(path)
    if (route === undefined || (verb === 'GET' && !route.action.get) || !options.plainAnswers()) return undefined
    bindings.action = route.action.name
    let output: unknown
    try {
      output = verb === 'POST'
        ? readJsonBody(request, options, options.logger).then((rawInput) => route.run(new RouteCall('POST', rawInput, bindings, request)))
        : route.run(new RouteCall('GET', queryInput(target), bindings, request))
      // An output JSON cannot hold (a BigInt, a cycle) throws here too, and becomes a 500 like any error.
      if (!isThenable(output)) return plainAnswer(bindings, output)
    } catch (err) {
      return fail(err, bindings, path)
    }
    const failed = (err: unknown): Response => fail(err, bindings, path)
    return Promise.resolve(output).then((value) => {
      try {
        return plainAnswer(bindings, value)
      } catch (err) {
        return failed(err)
      }
    }, failed)
  }
  return { app, handlers, unknown, direct }
}

/** A JSON answer with both of the app's headers in it (`bindings.answered`: nothing left to stamp). */
export function answerJson(status: number, body: unknown, bindings: HttpBindings, version: string): Response {
  // With @hono/node-server a plain header object goes to writeHead as it is. The keys are REQUEST_ID_HEADER and
  // VERSION_HEADER written out (test/http/server.test.ts checks both on every answer): V8 builds an object of
  // literal keys from a template, where a computed key costs a store of its own.
  const res = new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'x-request-id': bindings.requestId, 'x-troupe-version': version } })
  bindings.answered = res
  return res
}

/** One call of an action from a request: an object, rather than a closure for the request besides it. */
class RouteCall implements ActionCall {
  readonly requestId: string
  readonly started: number | undefined

  constructor(readonly method: ActionCall['method'], readonly rawInput: unknown, bindings: HttpBindings, private readonly raw: Request) {
    this.requestId = bindings.requestId
    this.started = bindings.started
  }

  request(): Request {
    return this.raw
  }
}

/** Where the parent app mounts this route's app. */
const API_PREFIX = '/api/'

function unknownAction(name: string): NotFoundError {
  return new NotFoundError(`no action named ${JSON.stringify(name.slice(0, 128))}`)
}
