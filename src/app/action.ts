// An action: a named, validated function every peer serves at /api/<name>.
import { ConfigError } from '../errors.js'
import { TIMER_MS_MAX } from '../util/clock.js'
import type { ActionMiddleware } from './compose.js'
import type { ActionContext } from './context.js'
import { isStandardSchema, type InferOutput, type StandardSchemaV1 } from './standard-schema.js'

/** Names become one URL path segment and a log field, so they stay URL-safe without escaping. */
export const ACTION_NAME_PATTERN = /^[a-zA-Z0-9_.:-]+$/
/** Long enough for `namespace:group.verb-noun`, short enough to keep URLs and logs readable. */
export const ACTION_NAME_LENGTH_MAX = 128

/** What `defineAction` takes: a name, an input schema (zod or any Standard Schema) and `run`. */
export interface ActionInit<S extends StandardSchemaV1, O> {
  name: string
  description?: string
  /** Any Standard Schema. GET inputs arrive as strings: coerce them (zod: `z.coerce.number()`). */
  input: S
  /** Runs after the app's global middleware, in order, before validation. */
  middleware?: readonly ActionMiddleware[]
  /** Overrides the app's `actionTimeoutMs`; past it the client gets 504 and `ctx.signal` fires. */
  timeoutMs?: number
  /** Serve `GET /api/<name>` too (default true). Set false for actions with side effects. */
  get?: boolean
  /** Returns JSON-serialisable output; `undefined` is sent as `null`. */
  run(ctx: ActionContext, input: InferOutput<S>): O | Promise<O>
}

/**
 * A checked action. `input` is widened to any schema and `S` appears only in
 * `run` (a method, so its parameter is bivariant): that lets actions with
 * different inputs share one list, typed `Action[]` or `Action<never, unknown>[]`.
 */
export interface Action<S extends StandardSchemaV1 = StandardSchemaV1, O = unknown> {
  readonly name: string
  readonly description?: string
  readonly input: StandardSchemaV1
  readonly middleware: readonly ActionMiddleware[]
  readonly timeoutMs?: number
  readonly get: boolean
  run(ctx: ActionContext, input: InferOutput<S>): O | Promise<O>
}

/** Checks the definition once, at load, so a bad name or schema stops the peer before it serves. */
export function defineAction<S extends StandardSchemaV1, O>(init: ActionInit<S, O>): Action<S, O> {
  const { name } = init
  if (typeof name !== 'string' || !ACTION_NAME_PATTERN.test(name) || name.length > ACTION_NAME_LENGTH_MAX) {
    throw new ConfigError(`invalid action name ${JSON.stringify(name)}: use 1-${ACTION_NAME_LENGTH_MAX} characters from [a-zA-Z0-9_.:-]`)
  }
  if (!isStandardSchema(init.input)) {
    throw new ConfigError(`action ${name}: input must be a Standard Schema (e.g. a zod schema), got ${typeof init.input}`)
  }
  if (typeof init.run !== 'function') throw new ConfigError(`action ${name}: run must be a function`)
  // At most TIMER_MS_MAX (~24.8 days): Node fires a longer timer after 1 ms, which would time out every call.
  if (init.timeoutMs !== undefined && !(init.timeoutMs > 0 && init.timeoutMs <= TIMER_MS_MAX)) {
    throw new ConfigError(`action ${name}: timeoutMs must be a positive number of at most ${TIMER_MS_MAX} ms (TIMER_MS_MAX), got ${init.timeoutMs}`)
  }
  const middleware = init.middleware ?? []
  if (middleware.some((m) => typeof m !== 'function')) throw new ConfigError(`action ${name}: every middleware must be a function`)
  return Object.freeze({ ...init, middleware: [...middleware], get: init.get ?? true })
}
