// Actions and an app factory shared by the HTTP tests.
import { z } from 'zod'
import { defineAction } from '../../src/app/action.js'
import { ActionError } from '../../src/app/errors.js'
import type { LogFields, Logger } from '../../src/app/logger.js'
import { createHttpApp, type HttpAppOptions } from '../../src/http/app.js'

export interface LogLine { level: 'info' | 'warn' | 'error', msg: string, fields: LogFields }

export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  return {
    lines,
    info: (msg, fields = {}) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields = {}) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields = {}) => lines.push({ level: 'error', msg, fields }),
  }
}

export const add = defineAction({
  name: 'math.add',
  description: 'adds two numbers',
  input: z.object({ a: z.coerce.number(), b: z.coerce.number() }),
  run: (_ctx, { a, b }) => ({ sum: a + b }),
})

export const echo = defineAction({
  name: 'echo',
  input: z.unknown(),
  run: (_ctx, input) => ({ input }),
})

export const boom = defineAction({
  name: 'boom',
  input: z.object({}),
  run: () => {
    throw new Error('database password is hunter2')
  },
})

export const teapot = defineAction({
  name: 'teapot',
  input: z.object({}),
  run: () => {
    throw new ActionError('I am a teapot', { status: 418, code: 'ERR_TEAPOT', details: { brew: 'earl grey' } })
  },
})

/** Resolves only when its ctx.signal fires, then reports why. */
export function waiter(name: string, seen: AbortSignal[], timeoutMs?: number) {
  return defineAction({
    name,
    input: z.object({}),
    timeoutMs,
    run: (ctx) => new Promise<never>((_resolve, reject) => {
      seen.push(ctx.signal)
      ctx.signal.addEventListener('abort', () => reject(new Error('gave up')), { once: true })
    }),
  })
}

export function makeApp(options: Partial<HttpAppOptions> = {}) {
  const logger = recordingLogger()
  const app = createHttpApp({
    actions: [add, echo, boom, teapot],
    peer: { id: 'peer-1' },
    version: '9.9.9',
    status: () => ({ peer: { id: 'peer-1' }, members: [{ id: 'peer-1', state: 'alive' }], uptimeMs: 5, version: '9.9.9' }),
    logger,
    ...options,
  })
  return { app, logger }
}

export function postJson(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }
}

export interface ErrorJson {
  error: { name: string, message: string, code: string, retryable: boolean, id?: string, fields?: Array<{ path: Array<string | number>, message: string }>, details?: unknown, stack?: unknown }
}
