// A CPU worker thread: loads the app's module once, then runs the app's
// `cpu: true` task handlers when the pool asks, one at a time. Logs and the
// senders (tasks, actors) go back to the peer's thread as messages.

import '../compat.js'
import { parentPort, workerData } from 'node:worker_threads'
import { loadAppEntry } from '../app/load.js'
import { fromErrorShape, toErrorShape } from '../errors.js'
import type { TaskContext, TaskDefinition } from '../tasks/define.js'
import type { LogFields, Logger } from '../util/logger.js'
import type { CallOp, FromWorker, RunContext, ToWorker, WorkerData } from './protocol.js'

const port = parentPort
if (port === null) throw new Error('src/workers/worker.ts runs only as a worker thread')

const data = workerData as WorkerData
const app = await loadAppEntry(data.app)
const tasks = new Map<string, TaskDefinition>(app.tasks.filter(t => t.cpu).map(t => [t.name, t]))
const aborts = new Map<number, AbortController>()
const calls = new Map<number, { resolve: (v: unknown) => void, reject: (e: unknown) => void }>()
let nextCall = 0

const post = (msg: FromWorker): void => { port.postMessage(msg) }

function logger(run: number, bound: LogFields): Logger {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: LogFields): void => {
    post({ t: 'log', run, level, msg, fields: { ...bound, ...fields } })
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: more => logger(run, { ...bound, ...more }) }
}

/** Calls a sender on the peer's thread. An options object's signal stays here: the peer uses the task's own. */
function call(run: number, op: CallOp, args: unknown[]): Promise<never> {
  const id = nextCall++
  const clean = args.map(a => typeof a === 'object' && a !== null && 'signal' in a ? { ...a, signal: undefined } : a)
  return new Promise<never>((resolve, reject) => {
    calls.set(id, { resolve: resolve as (v: unknown) => void, reject })
    post({ t: 'call', run, call: id, op, args: clean })
  })
}

async function run(id: number, def: TaskDefinition, input: unknown, base: RunContext): Promise<void> {
  const controller = new AbortController()
  aborts.set(id, controller)
  const ctx = {
    ...base,
    signal: controller.signal,
    logger: logger(id, {}),
    tasks: {
      enqueue: (...args: unknown[]) => call(id, 'tasks.enqueue', args),
      // Records live on the peer's thread; a worker asks for them.
      get: (...args: unknown[]) => call(id, 'tasks.get', args),
    },
    actors: {
      tell: (...args: unknown[]) => call(id, 'actors.tell', args),
      ask: (...args: unknown[]) => call(id, 'actors.ask', args),
      schedule: (...args: unknown[]) => call(id, 'actors.schedule', args),
    },
  } as unknown as TaskContext
  try {
    await def.run(ctx, input)
    post({ t: 'done', run: id, ok: true })
  } catch (err) {
    post({ t: 'done', run: id, ok: false, error: toErrorShape(err) })
  } finally {
    aborts.delete(id)
  }
}

port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'run': {
      const def = tasks.get(msg.task)
      if (def === undefined) post({ t: 'done', run: msg.run, ok: false, error: { name: 'TaskNotFoundError', message: `the app in the worker has no cpu task ${msg.task}`, code: 'ERR_TASK_NOT_FOUND', retryable: false } })
      else void run(msg.run, def, msg.input, msg.ctx)
      return
    }
    case 'abort':
      aborts.get(msg.run)?.abort(fromErrorShape(msg.reason))
      return
    case 'reply': {
      const pending = calls.get(msg.call)
      calls.delete(msg.call)
      if (pending === undefined) return
      if (msg.ok) pending.resolve(msg.value)
      else pending.reject(fromErrorShape(msg.error))
    }
  }
})

post({ t: 'ready', tasks: [...tasks.keys()] })
