// Messages between the pool (the peer's thread) and a worker thread. Both ends
// are this package's code in one process, so the shapes are trusted; values
// are structured clones.

import type { ErrorShape } from '../errors.js'
import type { LogFields } from '../util/logger.js'

/** The parts of a task's ctx that cross to the worker; senders are proxied by `call`. */
export interface RunContext {
  taskId: string
  name: string
  attempt: number
  fence: string | undefined
  partition: number
  peer: { id: string }
}

/** What a worker's handler may call back on the peer: the senders that actions and tasks have. */
export type CallOp = 'tasks.enqueue' | 'tasks.get' | 'actors.tell' | 'actors.ask' | 'actors.schedule'
export const CALL_OPS: readonly CallOp[] = ['tasks.enqueue', 'tasks.get', 'actors.tell', 'actors.ask', 'actors.schedule']

export type ToWorker =
  | { t: 'run', run: number, task: string, input: unknown, ctx: RunContext }
  | { t: 'abort', run: number, reason: ErrorShape }
  | { t: 'reply', call: number, ok: true, value: unknown }
  | { t: 'reply', call: number, ok: false, error: ErrorShape }

export type FromWorker =
  | { t: 'ready', tasks: string[] }
  | { t: 'done', run: number, ok: true }
  | { t: 'done', run: number, ok: false, error: ErrorShape }
  | { t: 'log', run: number, level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: LogFields }
  | { t: 'call', run: number, call: number, op: CallOp, args: unknown[] }

/** What the pool passes to a new worker thread. */
export interface WorkerData {
  /** The app's module path. */
  app: string
  /** The worker module to import (this folder's worker.js, or worker.ts when running from source). */
  module: string
  /** tsx's ESM API to register first when the worker module is TypeScript. */
  tsx: string | undefined
}
