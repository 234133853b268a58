// Task inspection and control over HTTP, on every peer:
//   POST   /tasks               { name, input, delayMs?, runAt?, idempotencyKey?, priority?, taskTimeoutMs? } -> 202 { id }
//   POST   /tasks               [ { name, input, delayMs?, ... }, ... ] (one enqueueMany batch) -> 202 { ids }
//   GET    /tasks?state=&name=&limit=                                                        -> { tasks }
//   GET    /tasks/:id                                                                        -> the record
//   POST   /tasks/:id/cancel | /tasks/:id/retry                                              -> the record
//   DELETE /tasks/:id                                                                        -> the record
//   POST   /tasks/pause | /tasks/resume (this peer's runner)                                 -> { paused }
// Errors are the tasks module's named errors (404, 409, 422, 503), shaped like action errors;
// 507 StoreFullError when the disk is below its reserve. A POST body is read as an action's is (400 malformed
// JSON, 413 past TASKS_BODY_BYTES_MAX, 415 not JSON), and a field a task does not take, or an option of the
// wrong type, is a 422 naming it: never ignored, so a mistyped delay cannot run a task early. All of these are admin routes:
// protectRoutes (auth.ts), registered before them, checks the admin token.

import type { Context, Env, Hono } from 'hono'
import { ValidationError, type FieldIssue } from '../app/errors.js'
import type { Logger } from '../app/logger.js'
import { toErrorShape, isTroupeError, type ErrorShape } from '../errors.js'
import { optionIssues } from '../tasks/enqueue.js'
import type { EnqueueItem, EnqueueManyOptions, EnqueueOptions, TaskOptions } from '../tasks/service.js'
import type { TaskList, TaskQuery } from '../tasks/store.js'
import type { TaskRecord, TaskState } from '../tasks/record.js'
import { JSON_DEPTH_MAX_DEFAULT, TASKS_BODY_BYTES_MAX } from './constants.js'
import { readJsonBody } from './body.js'

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

export interface TaskRoutesOptions {
  /** Warnings of the body reader (an oversized body it could not cancel). */
  logger: Logger
}

export function taskRoutes<E extends Env>(app: Hono<E>, tasks: TaskControl, options: TaskRoutesOptions): void {
  const limits = { bodyBytesMax: TASKS_BODY_BYTES_MAX, jsonDepthMax: JSON_DEPTH_MAX_DEFAULT }
  app.post('/tasks', c => guard(c, async () => {
    const body = await readJsonBody(c.req.raw, limits, options.logger)
    if (Array.isArray(body)) {
      const issues: FieldIssue[] = []
      // Items that are not objects are left as they are: enqueueMany names them in its ValidationError.
      const items = body.map((item: unknown, i) => typeof item === 'object' && item !== null && !Array.isArray(item)
        ? taskItem(item as Record<string, unknown>, [i], issues)
        : item) as EnqueueItem[]
      if (issues.length > 0) throw new ValidationError(issues)
      const ids = await tasks.enqueueMany(items, { signal: c.req.raw.signal })
      return c.json({ ids }, 202)
    }
    if (typeof body !== 'object' || body === null || typeof (body as Record<string, unknown>).name !== 'string') {
      throw new ValidationError([{ path: [], message: 'expected a JSON object { name, input } or an array of them' }])
    }
    const issues: FieldIssue[] = []
    const item = taskItem(body as Record<string, unknown>, [], issues)
    if (issues.length > 0) throw new ValidationError(issues)
    const id = await tasks.enqueue(item.name, item.input, { ...item.options, signal: c.req.raw.signal })
    return c.json({ id }, 202)
  }))
  app.get('/tasks', c => guard(c, () => {
    const state = c.req.query('state')
    if (state !== undefined && !STATES.includes(state as TaskState)) {
      throw new ValidationError([{ path: ['state'], message: `must be one of ${STATES.join(', ')}` }])
    }
    const raw = c.req.query('limit')
    const asked = raw === undefined ? 100 : Number(raw)
    if (!Number.isInteger(asked) || asked < 1) {
      throw new ValidationError([{ path: ['limit'], message: `must be a whole number >= 1 (at most ${TASK_LIST_LIMIT_MAX} are answered)` }])
    }
    const limit = Math.min(TASK_LIST_LIMIT_MAX, asked)
    // truncated: the peer read LIST_SCAN_RECORDS stored records and stopped; narrow the query (state, name) for more.
    return recordsJson(c, tasks.listPage({ state: state as TaskState | undefined, name: c.req.query('name'), limit }))
  }))
  app.get('/tasks/:id', c => guard(c, () => {
    const record = tasks.get(c.req.param('id'))
    return record === undefined
      ? c.json({ error: { name: 'TaskNotFoundError', message: 'no such task', code: 'ERR_TASK_NOT_FOUND', retryable: false } }, 404)
      : recordsJson(c, record)
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
  app.post('/tasks/:id/cancel', c => guard(c, async () => recordsJson(c, await tasks.cancel(c.req.param('id')))))
  app.post('/tasks/:id/retry', c => guard(c, async () => recordsJson(c, await tasks.retry(c.req.param('id')))))
  app.delete('/tasks/:id', c => guard(c, async () => recordsJson(c, await tasks.delete(c.req.param('id')))))
}

/** The fields one task of a POST /tasks body may have: its name and input, and the options of TaskOptions. */
const OPTION_FIELDS = ['delayMs', 'runAt', 'idempotencyKey', 'priority', 'taskTimeoutMs'] as const
const TASK_FIELDS: ReadonlySet<string> = new Set(['name', 'input', ...OPTION_FIELDS])

/** One task of a request body as an EnqueueItem; a field it does not take, or an option of the wrong type, goes to `issues` under `at`. */
function taskItem(body: Record<string, unknown>, at: Array<string | number>, issues: FieldIssue[]): EnqueueItem {
  for (const key of Object.keys(body)) {
    if (TASK_FIELDS.has(key)) continue
    const message = key === 'options'
      ? `the options go beside name and input: ${OPTION_FIELDS.join(', ')}`
      : `not a field of a task: it takes name, input, ${OPTION_FIELDS.join(', ')}`
    issues.push({ path: [...at, key], message })
  }
  const options: Record<string, unknown> = {}
  for (const key of OPTION_FIELDS) if (body[key] !== undefined) options[key] = body[key]
  for (const f of optionIssues(options as TaskOptions)) issues.push({ path: [...at, ...f.path], message: f.message })
  // Absent input reads as {} (as an empty action body does); an explicit null is passed on for the schema to judge.
  return { name: body.name as string, input: body.input === undefined ? {} : body.input, options: options as TaskOptions }
}

/**
 * A 200 answer holding task records. Their inputs are whatever the enqueuer passed, msgpack-encoded, so they may
 * hold a bigint (a 64-bit integer from another peer decodes as one), which JSON has no number for and
 * JSON.stringify throws on: one such task made every listing that included it a 500. A bigint is written as
 * its decimal digits in a string.
 */
function recordsJson(c: Context, value: unknown): Response {
  return c.body(JSON.stringify(value, bigintAsString), 200, { 'content-type': 'application/json' })
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
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
