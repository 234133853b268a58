// The Hono app every peer serves. It never listens: tests drive it with
// `app.request()`, and `listen()` in server.ts puts it on a socket.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Hono, type Context } from 'hono'
import { getPath } from 'hono/utils/url'
import type { Action } from '../app/action.js'
import type { ActionMiddleware } from '../app/compose.js'
import type { ActionContextBase } from '../app/context.js'
import { describeAction, type ActionDescription } from '../app/describe.js'
import { consoleLogger, type Logger } from '../app/logger.js'
import { UnavailableError } from '../errors.js'
import { actionRoute, answerJson, type ActionRoute, type DirectFailure } from './action-route.js'
import { ACTION_TIMEOUT_MS_DEFAULT, BODY_BYTES_MAX_DEFAULT, JSON_DEPTH_MAX_DEFAULT, REQUEST_ID_HEADER, REQUEST_ID_PATTERN, VERSION_HEADER } from './constants.js'
import { mapError, NotFoundError, type MappedError } from './errors.js'
import { idGenerator } from './ids.js'
import { observedBy, type AnsweredRequest, type RequestObserver } from './observe.js'
import { checkOptions } from './options.js'

/** Served as-is by `GET /status`: peer id, members and their state, uptime, version. */
export type StatusBody = object
/** `GET /health` answers 200 when `ok`, else 503, with this object as the body. */
export interface HealthBody { ok: boolean }

export interface HttpAppOptions {
  actions: readonly Action[]
  peer: { id: string }
  version: string
  status: () => StatusBody | Promise<StatusBody>
  /** Default: always `{ ok: true }`. A throw counts as not ok. */
  health?: () => HealthBody | Promise<HealthBody>
  /** Runs before every action's own middleware, in order. */
  middleware?: readonly ActionMiddleware[]
  /** Extra fields for every action's ctx (e.g. `actors`, `tasks`), made per call. */
  context?: (base: ActionContextBase) => object
  /**
   * Extra fields for every action's ctx whose values are the same for every call: read once, at
   * start, and put on the contexts' prototype (nothing added per call). They win over `context()`'s.
   */
  fields?: object
  logger?: Logger
  /** Default 1 MiB; enforced while the body streams in. */
  bodyBytesMax?: number
  /** Default 64. */
  jsonDepthMax?: number
  /** Default 30 s; an action's own `timeoutMs` wins. */
  actionTimeoutMs?: number
  /** The peer's shutdown signal: running actions see ctx.signal fire and new ones get 503. */
  signal?: AbortSignal
  /** Request and error ids. Default: a random prefix per app and a counter (ids.ts). */
  newId?: () => string
  /**
   * Adds middleware and routes before the built-in routes and the 404 handler
   * (e.g. `app => registerOps(app, ...)`). Per-request bookkeeping belongs in
   * `observeRequests(app, ...)` rather than in an `app.use('*')` middleware,
   * which would take every action off Hono's direct path.
   */
  extend?: (app: HttpApp) => void
  /** Milliseconds, monotonic, for the durations observers see. Default `performance.now`. */
  now?: () => number
}

/** What every handler finds in `c.env`. */
export interface HttpBindings {
  /** The client's `x-request-id` if plain (REQUEST_ID_PATTERN), else a fresh id; also sent back in the response. */
  requestId: string
  /** Set by the action route once the path named an action the app defines (observers label by it). */
  action?: string
  /** The response the action route built, both headers already in it (nothing to stamp). */
  answered?: Response
  /** When the app took the request, in milliseconds of its `now` clock (an action's deadline counts from it). */
  started?: number
  /** Set when served by `listen()` (@hono/node-server). */
  incoming?: IncomingMessage
  outgoing?: ServerResponse
}
export type HttpEnv = { Bindings: HttpBindings }
export type HttpApp = Hono<HttpEnv>

export function createHttpApp(options: HttpAppOptions): HttpApp {
  checkOptions(options)
  const logger = options.logger ?? consoleLogger
  const newId = options.newId ?? idGenerator()
  const app = new Hono<HttpEnv>()
  // Registered before `extend` runs, so that observeRequests() there finds this app's list.
  const observers = observedBy(app)

  options.extend?.(app)

  app.get('/health', async (c) => {
    let body: HealthBody
    try {
      body = await (options.health?.() ?? { ok: true })
    } catch (err) {
      throw new UnavailableError('health check failed', { cause: err })
    }
    return c.json(body, body.ok === true ? 200 : 503)
  })
  app.get('/status', async (c) => c.json(await options.status()))
  // Described at the first request (JSON Schema of each input): an idle peer never holds it.
  let listing: ActionDescription[] | undefined
  app.get('/api', (c) => c.json({ version: options.version, actions: (listing ??= options.actions.map(describeAction)) }))
  // Computed at the first answer, once every route is in: only routes registered before the
  // action route can run before it.
  let plain: boolean | undefined
  const actions = actionRoute({
    ...options,
    logger,
    middleware: options.middleware ?? [],
    bodyBytesMax: options.bodyBytesMax ?? BODY_BYTES_MAX_DEFAULT,
    jsonDepthMax: options.jsonDepthMax ?? JSON_DEPTH_MAX_DEFAULT,
    actionTimeoutMs: options.actionTimeoutMs ?? ACTION_TIMEOUT_MS_DEFAULT,
    plainAnswers: () => (plain ??= nothingRunsBefore(app, actions.handlers)),
  })
  app.route('/api', actions.app)

  const mapped = (err: unknown, requestId: string, path: string): MappedError => {
    const out = mapError(err, newId)
    if (out.status >= 500) {
      const stack = err instanceof Error ? err.stack : String(err)
      logger.error(`request failed: ${out.body.error.name}`, { requestId, errorId: out.body.error.id, status: out.status, path, stack, cause: causeOf(err) })
    }
    return out
  }
  const answerError = (err: unknown, c: Context<HttpEnv>): Response => {
    const { status, body } = mapped(err, c.env.requestId, c.req.path)
    return c.json(body, status as 500)
  }
  // The same answer for a request the action route served without Hono, both headers in it.
  const failDirect: DirectFailure = (err, bindings, path) => {
    const { status, body } = mapped(err, bindings.requestId, path)
    return answerJson(status, body, bindings, options.version)
  }
  app.notFound((c) => answerError(actions.unknown(c.req.path) ?? new NotFoundError('no such route'), c))
  app.onError(answerError)
  wrapFetch(app, observers, { newId, version: options.version, now: options.now ?? (() => performance.now()), direct: actions.direct, failDirect })
  return app
}

/**
 * Every request goes through this wrapper rather than a Hono middleware: it
 * picks the request id (into `c.env.requestId`), stamps `x-request-id` and
 * `x-troupe-version` on the response and tells the observers. With no
 * middleware in front, the action route serves a GET or POST of an action
 * itself (`direct`: no Hono routing or context), and a synchronous action is
 * answered without a promise; every other request goes to Hono, where a
 * route that only one handler matches takes Hono's direct path; see observe.ts.
 */
function wrapFetch(app: HttpApp, observers: readonly RequestObserver[], init: { newId: () => string, version: string, now: () => number, direct: ActionRoute['direct'], failDirect: DirectFailure }): void {
  const dispatch = app.fetch
  // Closures are made only for an answer that comes later: most come at once.
  const finish = (res: Response, request: Request, started: number, bindings: HttpBindings): Response => {
    // The action route's own answers carry both headers already.
    const out = res === bindings.answered ? res : stamp(res, bindings, init.version)
    observe(request, out.status, started, bindings)
    return out
  }
  const observe = (request: Request, status: number, started: number, bindings: HttpBindings): void => {
    if (observers.length === 0) return
    const answered = new Answered(request, status, init.now() - started, bindings.action)
    for (const observer of observers) observer(answered)
  }
  const failed = (err: unknown, request: Request, started: number, bindings: HttpBindings): never => {
    // @hono/node-server answers 500 itself: it still carries the request id.
    stampNode(bindings, init.version)
    observe(request, 500, started, bindings)
    throw err
  }
  app.fetch = (request, env, executionCtx) => {
    const started = init.now()
    const given = env as Partial<HttpBindings> | undefined
    const incoming = given?.incoming
    let bindings: HttpBindings
    let clientId: string | null | undefined
    // The request's path and query: Node's own `url` when it is one (no URL string built), else from the URL.
    let target: string | undefined
    if (incoming !== undefined && given !== undefined) {
      // @hono/node-server's bindings (`{ incoming, outgoing }`): the header is read from Node's own headers
      // (request.headers would build a Headers object), and every field goes into one object of a fixed shape.
      const header = incoming.headers[REQUEST_ID_HEADER]
      clientId = typeof header === 'string' ? header : undefined
      bindings = new NodeBindings(pickId(clientId, init.newId), started, incoming, given.outgoing)
      target = incoming.url
      if (target !== undefined && target.charCodeAt(0) !== 0x2f) target = undefined // not `/...` (absolute-form, `*`)
    } else {
      clientId = request.headers.get(REQUEST_ID_HEADER)
      bindings = { ...given } as HttpBindings
      bindings.requestId = pickId(clientId, init.newId)
      bindings.started = started
      target = targetOf(request.url)
    }
    let res: Response | Promise<Response>
    try {
      res = (target === undefined ? undefined : init.direct(request, bindings, target, init.failDirect)) ?? dispatch(request, bindings, executionCtx)
    } catch (err) {
      return failed(err, request, started, bindings)
    }
    if (!(res instanceof Promise)) return finish(res, request, started, bindings)
    return res.then((value) => finish(value, request, started, bindings), (err: unknown) => failed(err, request, started, bindings))
  }
}

/** The path and query of an absolute URL (`http://host/a?b` -> `/a?b`); undefined if it has no path. */
function targetOf(url: string): string | undefined {
  const start = url.indexOf('/', url.indexOf(':') + 3)
  return start === -1 ? undefined : url.slice(start)
}

/** The client's id if plain, else a fresh one. */
function pickId(clientId: string | null | undefined, newId: () => string): string {
  return typeof clientId === 'string' && REQUEST_ID_PATTERN.test(clientId) ? clientId : newId()
}

/** The bindings of a request served by @hono/node-server, every field there from the start (one shape). */
class NodeBindings implements HttpBindings {
  action: string | undefined = undefined
  answered: Response | undefined = undefined

  constructor(public requestId: string, public started: number, public incoming: IncomingMessage, public outgoing: ServerResponse | undefined) {}
}

/** What observers see; the path is parsed only if one of them reads it. */
class Answered implements AnsweredRequest {
  readonly method: string
  #path: string | undefined

  constructor(private readonly request: Request, readonly status: number, readonly ms: number, readonly action: string | undefined) {
    this.method = request.method
  }

  get path(): string {
    return (this.#path ??= getPath(this.request))
  }
}

/** Puts the request id and version on a response the action route did not build. */
function stamp(res: Response, bindings: HttpBindings, version: string): Response {
  // On a Node response the headers go straight onto it (cheaper than a Headers object per response).
  if (stampNode(bindings, version)) return res
  try {
    res.headers.set(REQUEST_ID_HEADER, bindings.requestId)
    res.headers.set(VERSION_HEADER, version)
    return res
  } catch {
    // Immutable headers (e.g. Response.redirect): answer with a copy.
    const copy = new Response(res.body, res)
    copy.headers.set(REQUEST_ID_HEADER, bindings.requestId)
    copy.headers.set(VERSION_HEADER, version)
    return copy
  }
}

/** False when not served by @hono/node-server (or it has sent the headers already). */
function stampNode(bindings: HttpBindings, version: string): boolean {
  const outgoing = bindings.outgoing
  if (outgoing === undefined || typeof outgoing.setHeader !== 'function' || outgoing.headersSent) return false
  outgoing.setHeader(REQUEST_ID_HEADER, bindings.requestId)
  outgoing.setHeader(VERSION_HEADER, version)
  return true
}

/**
 * Whether no route registered before `handlers` (the action routes) can run on
 * an action's path: no middleware or handler whose path could match
 * `/api/<name>` for GET, HEAD or POST. Decided on the paths' static prefixes,
 * so it errs towards false (then answers are made by `c.json`, as before).
 */
function nothingRunsBefore(app: HttpApp, handlers: ReadonlySet<unknown>): boolean {
  for (const route of app.routes) {
    if (handlers.has(route.handler)) return true
    if (route.method !== 'ALL' && route.method !== 'GET' && route.method !== 'HEAD' && route.method !== 'POST') continue
    const wild = route.path.search(/[*:{]/)
    if (wild === -1) {
      if (route.path.startsWith('/api/')) return false
      continue
    }
    const prefix = route.path.slice(0, wild)
    if ('/api/'.startsWith(prefix) || prefix.startsWith('/api/')) return false
  }
  return false
}

function causeOf(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined
  if (cause === undefined) return undefined
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
}
