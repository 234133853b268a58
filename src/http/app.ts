// The Hono app every peer serves. It never listens: tests drive it with
// `app.request()`, and `listen()` in server.ts puts it on a socket.
import { randomUUID } from 'node:crypto'
import { Hono, type Context } from 'hono'
import type { Action } from '../app/action.js'
import type { ActionMiddleware } from '../app/compose.js'
import type { ActionContextBase } from '../app/context.js'
import { describeAction } from '../app/describe.js'
import { consoleLogger, type Logger } from '../app/logger.js'
import { UnavailableError } from '../errors.js'
import { actionRoute } from './action-route.js'
import { ACTION_TIMEOUT_MS_DEFAULT, BODY_BYTES_MAX_DEFAULT, JSON_DEPTH_MAX_DEFAULT, REQUEST_ID_HEADER, REQUEST_ID_PATTERN, VERSION_HEADER } from './constants.js'
import { mapError, NotFoundError } from './errors.js'
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
  /** Extra fields for every action's ctx (e.g. `actors`, `tasks`). */
  context?: (base: ActionContextBase) => object
  logger?: Logger
  /** Default 1 MiB; enforced while the body streams in. */
  bodyBytesMax?: number
  /** Default 64. */
  jsonDepthMax?: number
  /** Default 30 s; an action's own `timeoutMs` wins. */
  actionTimeoutMs?: number
  /** The peer's shutdown signal: running actions see ctx.signal fire and new ones get 503. */
  signal?: AbortSignal
  /** Request and error ids. Default `crypto.randomUUID`. */
  newId?: () => string
  /**
   * Adds middleware and routes after the request-id middleware and before the
   * built-in routes and the 404 handler (e.g. `app => registerOps(app, ...)`).
   */
  extend?: (app: HttpApp) => void
}

export type HttpEnv = { Variables: { requestId: string } }
export type HttpApp = Hono<HttpEnv>

export function createHttpApp(options: HttpAppOptions): HttpApp {
  checkOptions(options)
  const logger = options.logger ?? consoleLogger
  const newId = options.newId ?? randomUUID
  const app = new Hono<HttpEnv>()

  app.use('*', async (c, next) => {
    const given = c.req.header(REQUEST_ID_HEADER)
    const requestId = given !== undefined && REQUEST_ID_PATTERN.test(given) ? given : newId()
    c.set('requestId', requestId)
    c.header(REQUEST_ID_HEADER, requestId)
    c.header(VERSION_HEADER, options.version)
    await next()
  })
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
  const listing = options.actions.map(describeAction)
  app.get('/api', (c) => c.json({ version: options.version, actions: listing }))
  app.route('/api', actionRoute({
    ...options,
    logger,
    middleware: options.middleware ?? [],
    bodyBytesMax: options.bodyBytesMax ?? BODY_BYTES_MAX_DEFAULT,
    jsonDepthMax: options.jsonDepthMax ?? JSON_DEPTH_MAX_DEFAULT,
    actionTimeoutMs: options.actionTimeoutMs ?? ACTION_TIMEOUT_MS_DEFAULT,
  }))

  const answerError = (err: unknown, c: Context<HttpEnv>): Response => {
    const { status, body } = mapError(err, newId)
    if (status >= 500) {
      const stack = err instanceof Error ? err.stack : String(err)
      logger.error(`request failed: ${body.error.name}`, { requestId: c.get('requestId'), errorId: body.error.id, status, path: c.req.path, stack, cause: causeOf(err) })
    }
    return c.json(body, status as 500)
  }
  app.notFound((c) => answerError(new NotFoundError('no such route'), c))
  app.onError(answerError)
  return app
}

function causeOf(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined
  if (cause === undefined) return undefined
  return cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
}
