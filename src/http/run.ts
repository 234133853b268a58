// Runs one action call: context, middleware chain, validation, deadline.
import type { Action } from '../app/action.js'
import { compose, type ActionMiddleware } from '../app/compose.js'
import type { ActionContext, ActionContextBase } from '../app/context.js'
import { childLogger, type Logger } from '../app/logger.js'
import { validateInput } from '../app/validate.js'
import { AbortedError, TimeoutError, UnavailableError, type TroupeError } from '../errors.js'

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
  /** The request, built only when asked for (its headers or abort signal): most calls never need it. */
  request: () => Request
  requestId: string
}

export type ActionRunner = (call: ActionCall) => Promise<unknown>

/**
 * Composes the chain once per action; each call then only builds its context.
 * The call's AbortSignal (and the Request it listens to) is made only if the
 * action or a middleware reads `ctx.signal`; the deadline itself is one timer.
 */
export function actionRunner(action: Action, options: RunnerOptions): ActionRunner {
  const chain = compose([...options.middleware, ...action.middleware], async (ctx) => action.run(ctx, await validateInput(action.input, ctx.rawInput)))
  const timeoutMs = action.timeoutMs ?? options.actionTimeoutMs
  return async (call) => {
    if (options.signal?.aborted === true) throw new UnavailableError('the peer is stopping')
    let controller: AbortController | undefined
    let expired: TroupeError | undefined
    let fail: ((err: TroupeError) => void) | undefined
    const cleanups: Array<() => void> = []
    const abandoned = (): TroupeError => {
      if (expired !== undefined) return expired
      if (options.signal?.aborted === true) return new UnavailableError('the peer is stopping')
      return new AbortedError('the client went away')
    }
    // ctx.signal: made on first read, then it follows the client, the peer's stop and the deadline.
    const signal = (): AbortSignal => {
      if (controller !== undefined) return controller.signal
      const c = controller = new AbortController()
      if (expired !== undefined) c.abort(expired)
      for (const s of [call.request().signal, options.signal]) {
        if (s === undefined || c.signal.aborted) continue
        const onAbort = (): void => {
          c.abort(s.reason)
          fail?.(abandoned())
        }
        if (s.aborted) onAbort()
        else {
          s.addEventListener('abort', onAbort, { once: true })
          cleanups.push(() => s.removeEventListener('abort', onAbort))
        }
      }
      return c.signal
    }
    const timer = setTimeout(() => {
      expired = new TimeoutError(`action ${action.name} took longer than ${timeoutMs} ms`)
      controller?.abort(expired)
      fail?.(expired)
    }, timeoutMs)
    try {
      const logger = childLogger(options.logger, { requestId: call.requestId, action: action.name })
      const base = {
        action: action.name, method: call.method, rawInput: call.rawInput,
        requestId: call.requestId, logger, peer: options.peer, vars: {},
      } as unknown as ActionContextBase
      Object.defineProperty(base, 'headers', { get: () => call.request().headers, enumerable: true })
      Object.defineProperty(base, 'signal', { get: signal, enumerable: true })
      // Base fields win over extensions: a peer cannot replace the signal or the request id by accident.
      const ctx = Object.defineProperties(Object.assign({}, options.context?.(base)), Object.getOwnPropertyDescriptors(base)) as ActionContext
      // Answers as soon as the deadline passes (or the signal fires) even if the action ignores it.
      return await new Promise<unknown>((resolve, reject) => {
        let settled = false
        fail = (err) => {
          if (settled) return
          settled = true
          reject(err)
        }
        chain(ctx).then((value) => {
          if (settled) return
          settled = true
          resolve(value)
        }, (err: unknown) => {
          if (settled) logger.info('action failed after its caller was answered', { err: String(err) })
          else {
            settled = true
            reject(err)
          }
        })
      })
    } finally {
      clearTimeout(timer)
      for (const c of cleanups) c()
    }
  }
}
