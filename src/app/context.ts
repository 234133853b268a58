// What an action (and its middleware) sees of the request and the peer.
import type { Logger } from './logger.js'

/** Read access to the request headers; names are case-insensitive. */
export interface ReadonlyHeaders {
  get: (name: string) => string | null
  has: (name: string) => boolean
}

export interface ActionContextBase {
  /** The action's name, as in `/api/<name>`. */
  readonly action: string
  readonly method: 'GET' | 'POST'
  /**
   * The input before validation: the parsed JSON body, or the query as strings.
   * Middleware may replace it; validation runs after all middleware.
   */
  rawInput: unknown
  readonly headers: ReadonlyHeaders
  /** Fires when the client disconnects, the action times out, or the peer stops. */
  readonly signal: AbortSignal
  readonly requestId: string
  /** Tagged with the request id and the action name. */
  readonly logger: Logger
  readonly peer: { readonly id: string }
  /** Scratch space for middleware to hand values to the action (e.g. the caller's identity). */
  readonly vars: Record<string, unknown>
}

/**
 * What the peer adds through `createHttpApp({ context })`, e.g. `actors` or
 * `tasks`. Empty here; the peer declares its fields by module augmentation:
 * `declare module '../app/context.js' { interface ActionContextExtensions { actors: Actors } }`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by augmentation
export interface ActionContextExtensions {}

export type ActionContext = ActionContextBase & ActionContextExtensions
