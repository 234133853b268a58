// Task inspection and control over HTTP, on every peer:
//   POST   /tasks               { name, input, delayMs?, runAt?, idempotencyKey?, priority? } -> 202 { id }
//   POST   /tasks               [ { name, input, delayMs?, ... }, ... ] (one enqueueMany batch) -> 202 { ids }
//   GET    /tasks?state=&name=&limit=                                                        -> { tasks }
//   GET    /tasks/:id                                                                        -> the record
//   POST   /tasks/:id/cancel | /tasks/:id/retry                                              -> the record
//   DELETE /tasks/:id                                                                        -> the record
//   POST   /tasks/pause | /tasks/resume (this peer's runner)                                 -> { paused }
// Errors are the tasks module's named errors (404, 409, 422, 503), shaped like action errors;
// 507 StoreFullError when the disk is below its reserve. All of these are admin routes:
// protectRoutes (auth.ts), registered before them, checks the admin token.

import type { Context, Env, Hono } from 'hono'
import { toErrorShape, isTroupeError, type ErrorShape } from '../errors.js'
import type { EnqueueItem, EnqueueManyOptions, EnqueueOptions, TaskOptions } from '../tasks/service.js'
import type { TaskList, TaskQuery } from '../tasks/store.js'
import type { TaskRecord, TaskState } from '../tasks/record.js'

export interface TaskControl {
  enqueue(name: string, input: unknown, options?: EnqueueOptions): Promise<string>
  enqueueMany(items: readonly EnqueueItem[], options?: EnqueueManyOptions): Promise<string[]>
  get(id: string): TaskRecord | undefined
  list(query?: TaskQuery): TaskRecord[]
  listPage(query?: TaskQuery): TaskList
  cancel(id: string): Promise<TaskRecord>
  retry(id: string): Promise<TaskRecord>
  delete(id: string): Promise<TaskRecord>
  pause(): void
  resume(): void
  readonly paused: boolean
}

const STATES: TaskState[] = ['pending', 'running', 'done', 'failed', 'cancelled']
export const TASK_LIST_LIMIT_MAX = 1_000

export function taskRoutes<E extends Env>(app: Hono<E>, tasks: TaskControl): void {
  app.post('/tasks', c => guard(c, async () => {
    const body = await c.req.json().catch(() => undefined) as unknown
    if (Array.isArray(body)) {
      // Items that are not objects are left as they are: enqueueMany names them in its ValidationError.
      const items = body.map((item: unknown) => typeof item === 'object' && item !== null
        ? { name: (item as Record<string, unknown>).name, input: (item as Record<string, unknown>).input ?? {}, options: taskOptions(item as Record<string, unknown>) }
        : item) as EnqueueItem[]
      const ids = await tasks.enqueueMany(items, { signal: c.req.raw.signal })
      return c.json({ ids }, 202)
    }
    if (typeof body !== 'object' || body === null || typeof (body as Record<string, unknown>).name !== 'string') {
      return c.json({ error: { name: 'ValidationError', message: 'expected a JSON object { name, input } or an array of them', code: 'ERR_VALIDATION', retryable: false } }, 422)
    }
    const one = body as Record<string, unknown>
    const id = await tasks.enqueue(one.name as string, one.input ?? {}, { ...taskOptions(one), signal: c.req.raw.signal })
    return c.json({ id }, 202)
  }))
  app.get('/tasks', c => guard(c, () => {
    const state = c.req.query('state')
    if (state !== undefined && !STATES.includes(state as TaskState)) {
      return c.json({ error: { name: 'ValidationError', message: `state must be one of ${STATES.join(', ')}`, code: 'ERR_VALIDATION', retryable: false } }, 422)
    }
    const limit = Math.min(TASK_LIST_LIMIT_MAX, Math.max(1, Number(c.req.query('limit') ?? 100) || 100))
    // truncated: the peer read LIST_SCAN_RECORDS stored records and stopped; narrow the query (state, name) for more.
    return c.json(tasks.listPage({ state: state as TaskState | undefined, name: c.req.query('name'), limit }))
  }))
  app.get('/tasks/:id', c => guard(c, () => {
    const record = tasks.get(c.req.param('id'))
    return record === undefined
      ? c.json({ error: { name: 'TaskNotFoundError', message: 'no such task', code: 'ERR_TASK_NOT_FOUND', retryable: false } }, 404)
      : c.json(record)
  }))
  // POST /tasks/pause and /tasks/resume, as one parameter route: a static segment where /tasks/:id/cancel has a
  // parameter is a pair Hono's RegExpRouter cannot hold, and one such pair would send every request of the app
  // (every action's too) through its slower TrieRouter. POST only: GET /tasks/pause is a task id.
  app.post('/tasks/:id', c => {
    const verb = c.req.param('id')
    if (verb !== 'pause' && verb !== 'resume') return c.notFound()
    return guard(c, () => {
      if (verb === 'pause') tasks.pause()
      else tasks.resume()
      return c.json({ paused: tasks.paused })
    })
  })
  app.post('/tasks/:id/cancel', c => guard(c, async () => c.json(await tasks.cancel(c.req.param('id')))))
  app.post('/tasks/:id/retry', c => guard(c, async () => c.json(await tasks.retry(c.req.param('id')))))
  app.delete('/tasks/:id', c => guard(c, async () => c.json(await tasks.delete(c.req.param('id')))))
}

/** The options fields of one task in a request body; fields of the wrong type are ignored, as before. */
function taskOptions(body: Record<string, unknown>): TaskOptions {
  const options: TaskOptions = {}
  for (const key of ['delayMs', 'runAt', 'priority'] as const) if (typeof body[key] === 'number') options[key] = body[key]
  if (typeof body.idempotencyKey === 'string') options.idempotencyKey = body.idempotencyKey
  return options
}

async function guard(c: Context, fn: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await fn()
  } catch (err) {
    const shape: ErrorShape & { fields?: unknown } = toErrorShape(err)
    const status = isTroupeError(err) ? err.status : 500
    if (status >= 500 && !isTroupeError(err)) shape.message = 'internal error'
    const fields = (err as { fields?: unknown }).fields
    if (Array.isArray(fields)) shape.fields = fields
    return c.json({ error: shape }, status as 500)
  }
}
