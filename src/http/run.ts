// Runs one action call: context, middleware chain, validation, deadline.
import type { Action } from '../app/action.js'
import { compose, type ActionMiddleware } from '../app/compose.js'
import type { ActionContext, ActionContextBase } from '../app/context.js'
import { childLogger, type Logger } from '../app/logger.js'
import { validateInput } from '../app/validate.js'
import { AbortedError, TimeoutError, UnavailableError, type TroupeError } from '../errors.js'
import { deadlineSignal } from '../util/abort.js'

export interface RunnerOptions {
  middleware: readonly ActionMiddleware[]
  context?: (base: ActionContextBase) => object
  peer: { id: string }
  logger: Logger
  actionTimeoutMs: number
  /** The peer's shutdown signal. */
  signal?: AbortSignal
}

export interface ActionCall {
  method: 'GET' | 'POST'
  rawInput: unknown
  request: Request
  requestId: string
}

export type ActionRunner = (call: ActionCall) => Promise<unknown>

/** Composes the chain once per action; each call then only builds its context. */
export function actionRunner(action: Action, options: RunnerOptions): ActionRunner {
  const chain = compose([...options.middleware, ...action.middleware], async (ctx) => action.run(ctx, await validateInput(action.input, ctx.rawInput)))
  const timeoutMs = action.timeoutMs ?? options.actionTimeoutMs
  return async (call) => {
    const deadline = deadlineSignal(timeoutMs, call.request.signal, options.signal)
    const abandoned = (): TroupeError => {
      if (options.signal?.aborted === true) return new UnavailableError('the peer is stopping')
      if (call.request.signal.aborted) return new AbortedError('the client went away')
      return new TimeoutError(`action ${action.name} took longer than ${timeoutMs} ms`)
    }
    try {
      if (deadline.signal.aborted) throw abandoned()
      const logger = childLogger(options.logger, { requestId: call.requestId, action: action.name })
      const base: ActionContextBase = {
        action: action.name, method: call.method, rawInput: call.rawInput, headers: call.request.headers,
        signal: deadline.signal, requestId: call.requestId, logger, peer: options.peer, vars: {},
      }
      // Base fields win over extensions: a peer cannot replace the signal or the request id by accident.
      const ctx = Object.assign({}, options.context?.(base), base) as ActionContext
      return await untilAborted(chain(ctx), deadline.signal, abandoned, logger)
    } finally {
      deadline.clear()
    }
  }
}

/**
 * Answers as soon as the signal fires even if the action ignores it. The
 * action keeps running to completion; a late failure is logged, not lost.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, abandoned: () => Error, logger: Logger): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abandoned())
    signal.addEventListener('abort', onAbort, { once: true })
    work.then((value) => {
      signal.removeEventListener('abort', onAbort)
      resolve(value)
    }, (err: unknown) => {
      signal.removeEventListener('abort', onAbort)
      if (signal.aborted) logger.info('action failed after its caller was answered', { err: String(err) })
      reject(err)
    })
  })
}
