// Runs one action call: context, middleware chain, validation, deadline.
import { isThenable } from '../util/thenable.js'
import type { Action } from '../app/action.js'
import { compose, type ActionMiddleware } from '../app/compose.js'
import type { ActionContext, ActionContextBase, ReadonlyHeaders } from '../app/context.js'
import { childLogger, type Logger } from '../app/logger.js'
import { validateInput, validateNow } from '../app/validate.js'
import { AbortedError, TimeoutError, UnavailableError, type TroupeError } from '../errors.js'

export interface RunnerOptions {
  middleware: readonly ActionMiddleware[]
  context?: (base: ActionContextBase) => object
  /**
   * Extra fields every call's ctx has, with the same values every call (e.g. the peer's `actors` and
   * `tasks`): put once on the prototype of this runner's contexts, so a call adds nothing to its ctx.
   * Base fields win over them, and they over `context()`'s.
   */
  fields?: object
  peer: { id: string }
  logger: Logger
  actionTimeoutMs: number
  /** The peer's shutdown signal. */
  signal?: AbortSignal
  /** Milliseconds, monotonic: how much of the deadline a call's synchronous part used. Default `performance.now`. */
  now?: () => number
}

export interface ActionCall {
  method: 'GET' | 'POST'
  rawInput: unknown
  /** The request, built only when asked for (its headers or abort signal): most calls never need it. */
  request: () => Request
  requestId: string
  /** When the request arrived, by the runner's `now` clock: the deadline counts from it. Default: the call's start. */
  started?: number
}

/** The action's output; a promise of it only when the action, a middleware or the schema is asynchronous. */
export type ActionRunner = (call: ActionCall) => unknown

/**
 * Composes the chain once per action; each call then only builds its context.
 * The call's AbortSignal (and the Request it listens to) is made only if the
 * action or a middleware reads `ctx.signal`. With no middleware, a
 * synchronous schema and a synchronous action, the call ends synchronously
 * (it could not have been interrupted anyway); otherwise the output is raced
 * against the deadline (one timer), the client going away and the peer stopping.
 */
export function actionRunner(action: Action, options: RunnerOptions): ActionRunner {
  const middleware = [...options.middleware, ...action.middleware]
  const chain = compose(middleware, async (ctx) => action.run(ctx, await validateInput(action.input, ctx.rawInput)))
  const direct = middleware.length === 0
  const timeoutMs = action.timeoutMs ?? options.actionTimeoutMs
  const timeoutMessage = `action ${action.name} took longer than ${timeoutMs} ms`
  const now = options.now ?? (() => performance.now())
  const Context = withFields(options.fields, options)
  return (call) => {
    if (options.signal?.aborted === true) throw new UnavailableError('the peer is stopping')
    const started = call.started ?? now()
    const state = new CallState(call, options.signal)
    let running: unknown
    let ctx: CallContext
    try {
      ctx = new Context(action.name, call, options, state)
      const extra = options.context?.(ctx)
      // Base fields win over extensions: a peer cannot replace the signal or the request id by accident.
      if (extra !== undefined) for (const key of Object.keys(extra)) if (!(key in ctx)) (ctx as unknown as Record<string, unknown>)[key] = (extra as Record<string, unknown>)[key]
      if (direct) {
        const input = validateNow(action.input, ctx.rawInput)
        running = isThenable(input) ? Promise.resolve(input).then((value) => action.run(ctx as unknown as ActionContext, value)) : action.run(ctx as unknown as ActionContext, input)
      } else {
        running = chain(ctx as unknown as ActionContext)
      }
    } catch (err) {
      state.cleanup()
      throw err
    }
    if (!isThenable(running)) {
      state.cleanup()
      return running
    }
    // The deadline counts from the request's arrival (or the call's start), the synchronous part included.
    return race(running, state, ctx, Math.max(0, timeoutMs - (now() - started)), timeoutMessage)
  }
}

/** CallContext, or a subclass whose prototype holds `fields` (each field a base field does not name). */
function withFields(fields: object | undefined, options: RunnerOptions): typeof CallContext {
  if (fields === undefined) return CallContext
  class FieldsContext extends CallContext {}
  // A context of no call, to tell base fields (own, set by the constructor) from extra ones.
  const none: ActionCall = { method: 'GET', rawInput: undefined, request: () => { throw new Error('no request') }, requestId: '' }
  const probe = new CallContext('', none, options, new CallState(none, undefined))
  for (const key of Object.keys(fields)) {
    if (key in probe) continue
    // Writable and configurable as the own property `context()` would make: an action may shadow it on its ctx.
    Object.defineProperty(FieldsContext.prototype, key, { value: (fields as Record<string, unknown>)[key], writable: true, enumerable: true, configurable: true })
  }
  return FieldsContext
}

/** Answers as soon as the deadline passes (or the signal fires) even if the action ignores it. */
async function race(running: PromiseLike<unknown>, state: CallState, ctx: CallContext, timeoutMs: number, timeoutMessage: string): Promise<unknown> {
  const timer = setTimeout(expire, timeoutMs, state, timeoutMessage)
  try {
    // (No closure is stored on the state here: one that captured this executor's
    // scope made every call's garbage survive young-generation GC, ~20 µs a request.)
    return await new Promise<unknown>((resolve, reject) => {
      state.reject = reject
      running.then(resolve, (err: unknown) => {
        if (state.answered) ctx.logger.info('action failed after its caller was answered', { err: String(err) })
        else reject(err)
      })
    })
  } finally {
    clearTimeout(timer)
    state.cleanup()
  }
}


function expire(state: CallState, message: string): void {
  state.expire(new TimeoutError(message))
}

/** What one call tracks besides its context: the deadline, the lazily made signal, how to fail early. */
class CallState {
  /** Rejects the call's answer; set once the call runs. */
  reject: ((err: TroupeError) => void) | undefined
  /** The call was answered early with an error (deadline, client gone, peer stopping). */
  answered = false
  private controller: AbortController | undefined
  private expired: TroupeError | undefined
  private cleanups: Array<() => void> | undefined

  constructor(readonly call: ActionCall, private readonly peerSignal: AbortSignal | undefined) {}

  expire(err: TroupeError): void {
    this.expired = err
    this.controller?.abort(err)
    this.fail(err)
  }

  /** Answers the call now with `err`, whatever the action is still doing. */
  fail(err: TroupeError): void {
    if (this.answered || this.reject === undefined) return
    this.answered = true
    this.reject(err)
  }

  /** ctx.signal: made on first read, then it follows the client, the peer's stop and the deadline. */
  signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal
    const c = this.controller = new AbortController()
    if (this.expired !== undefined) c.abort(this.expired)
    for (const s of [this.call.request().signal, this.peerSignal]) {
      if (s === undefined || c.signal.aborted) continue
      const onAbort = (): void => {
        c.abort(s.reason)
        this.fail(this.abandoned())
      }
      if (s.aborted) onAbort()
      else {
        s.addEventListener('abort', onAbort, { once: true })
        ;(this.cleanups ??= []).push(() => s.removeEventListener('abort', onAbort))
      }
    }
    return c.signal
  }

  cleanup(): void {
    if (this.cleanups !== undefined) for (const c of this.cleanups) c()
  }

  private abandoned(): TroupeError {
    if (this.expired !== undefined) return this.expired
    if (this.peerSignal?.aborted === true) return new UnavailableError('the peer is stopping')
    return new AbortedError('the client went away')
  }
}

/**
 * An action's ctx. A class, so every call's context shares one shape: per-call
 * getters defined with Object.defineProperty cost several µs and a hidden class each.
 * `headers`, `signal` and `logger` are made on first read.
 */
class CallContext implements ActionContextBase {
  readonly action: string
  readonly method: 'GET' | 'POST'
  rawInput: unknown
  readonly requestId: string
  readonly peer: { readonly id: string }
  readonly #state: CallState
  readonly #parentLogger: Logger
  #logger: Logger | undefined
  #vars: Record<string, unknown> | undefined

  constructor(action: string, call: ActionCall, options: RunnerOptions, state: CallState) {
    this.action = action
    this.method = call.method
    this.rawInput = call.rawInput
    this.requestId = call.requestId
    this.peer = options.peer
    this.#state = state
    this.#parentLogger = options.logger
  }

  /** Made on first use: most calls have no middleware to share anything. */
  get vars(): Record<string, unknown> {
    return (this.#vars ??= {})
  }

  get headers(): ReadonlyHeaders {
    return this.#state.call.request().headers
  }

  get signal(): AbortSignal {
    return this.#state.signal()
  }

  get logger(): Logger {
    return (this.#logger ??= childLogger(this.#parentLogger, { requestId: this.requestId, action: this.action }))
  }
}
