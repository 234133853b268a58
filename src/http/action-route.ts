// `GET|POST /api/<name>`: find the action, read its input, run it.
import { isThenable } from '../util/thenable.js'
import { Hono, type Context, type Handler } from 'hono'
import { tryDecodeURIComponent } from 'hono/utils/url'
import type { Action } from '../app/action.js'
import type { HttpEnv } from './app.js'
import { readJsonBody, type BodyLimits } from './body.js'
import { REQUEST_ID_HEADER, VERSION_HEADER } from './constants.js'
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
}

export function actionRoute(options: ActionRouteOptions): ActionRoute {
  const routes = new Map<string, { action: Action, run: ActionRunner }>()
  for (const action of options.actions) routes.set(action.name, { action, run: actionRunner(action, options) })
  const find = (name: string): { action: Action, run: ActionRunner } => {
    const route = routes.get(name)
    if (route === undefined) throw unknownAction(name)
    return route
  }
  const respond = (c: Context<HttpEnv>, value: unknown): Response => {
    if (!options.plainAnswers()) return c.json(value ?? null)
    // With @hono/node-server a plain header object goes to writeHead as it is.
    const res = new Response(JSON.stringify(value ?? null), { status: 200, headers: { 'content-type': 'application/json', [REQUEST_ID_HEADER]: c.env.requestId, [VERSION_HEADER]: options.version } })
    c.env.answered = res
    return res
  }
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
    if (verb === 'POST') return readJsonBody(c.req.raw, options, options.logger).then((rawInput) => answer(c, run(new RouteCall('POST', rawInput, c))))
    return answer(c, run(new RouteCall('GET', queryInput(c.req.url), c)))
  }
  const app = new Hono<HttpEnv>()
  const handlers = new Set<Handler<HttpEnv>>()
  // One static path per action (`/hello`): Hono finds it in its table of static paths, without running its
  // routing regexp or decoding a parameter. A name with `:` would read as a parameter in a Hono path, and a
  // static path next to `/:name` would give Hono two routes for one request, so such an app keeps `/:name`.
  if (options.actions.every((action) => !action.name.includes(':'))) {
    for (const route of routes.values()) {
      const handler = (c: Context<HttpEnv>): Response | Promise<Response> => handle(c, route)
      handlers.add(handler)
      app.all(`/${route.action.name}`, handler)
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
  return { app, handlers, unknown }
}

/** One call of an action from a request: an object, rather than a closure for the request besides it. */
class RouteCall implements ActionCall {
  readonly requestId: string
  readonly started: number | undefined

  constructor(readonly method: ActionCall['method'], readonly rawInput: unknown, private readonly c: Context<HttpEnv>) {
    this.requestId = c.env.requestId
    this.started = c.env.started
  }

  request(): Request {
    return this.c.req.raw
  }
}

/** Where the parent app mounts this route's app. */
const API_PREFIX = '/api/'

function unknownAction(name: string): NotFoundError {
  return new NotFoundError(`no action named ${JSON.stringify(name.slice(0, 128))}`)
}
