// New tasks before they are stored: the options of one enqueue, the checks of
// one task or of every item of a batch (errors name the item), and the
// limits of a batch. Pure apart from running the input schemas.
import { pack } from 'msgpackr'
import { ValidationError, type FieldIssue } from '../app/errors.js'
import { validateNow } from '../app/validate.js'
import type { AbortOptions } from '../util/abort.js'
import type { Random } from '../util/random.js'
import { ENQUEUE_MANY_BYTES_MAX, ENQUEUE_MANY_ITEMS_MAX, IDEMPOTENCY_KEY_LENGTH_MAX } from './constants.js'
import type { TaskDefinition } from './define.js'
import { UnknownTaskError } from './errors.js'
import { idForKey, randomId } from './ids.js'
import { newRecord, type TaskRecord } from './record.js'
import { RECORD_OVERHEAD_BYTES } from './replicate.js'

/** Largest encoded task input: records travel in gossip messages of 64 KiB by default, and are stored on every peer. */
export const INPUT_BYTES_MAX = 256 * 1024

/** What one task asks for besides its name and input. */
export interface TaskOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number
  /** Run no earlier than this wall time (ms since the epoch). */
  runAt?: number
  /** Same key (per task name) = same task, within the retention. */
  idempotencyKey?: string
  /** Higher runs first among due tasks; default the definition's. */
  priority?: number
  /** The attempt deadline of this task; default the definition's. */
  taskTimeoutMs?: number
}

export interface EnqueueOptions extends TaskOptions, AbortOptions {
  /** How long this call may wait for replica acks; default enqueueTimeoutMs. */
  timeoutMs?: number
}

/** One task of `enqueueMany`. */
export interface EnqueueItem {
  name: string
  input: unknown
  options?: TaskOptions
}

export interface EnqueueManyOptions extends AbortOptions {
  /** How long this call may wait for replica acks of the whole batch; default enqueueTimeoutMs. */
  timeoutMs?: number
}

/** A task that passed its checks. */
export interface Checked {
  def: TaskDefinition
  input: unknown
  options: TaskOptions
  /** Encoded size of the input, to size replica requests. */
  inputBytes: number
}

/** Checks one task; throws UnknownTaskError (404) or ValidationError (422: input paths as the schema gives them, options by name). */
export async function checkOne(definitions: ReadonlyMap<string, TaskDefinition>, name: string, input: unknown, options: TaskOptions): Promise<Checked> {
  const def = definitions.get(name)
  if (def === undefined) throw new UnknownTaskError(name)
  const found = await inspectNow(def, input, options)
  const issues = [...found.input, ...(found.tooLarge === undefined ? [] : [{ path: ['input'], message: found.tooLarge }]), ...found.options]
  if (issues.length > 0) throw new ValidationError(issues)
  return { def, input, options, inputBytes: found.inputBytes }
}

/**
 * Checks every item of a batch and throws one ValidationError (422) listing
 * the problems of all bad items, each path starting with the item's index
 * (`3.input.n`, `0.name`, `7.options.delayMs`). Nothing is stored unless all pass.
 */
export async function checkMany(definitions: ReadonlyMap<string, TaskDefinition>, items: unknown): Promise<Checked[]> {
  if (!Array.isArray(items)) throw new ValidationError([{ path: [], message: 'expected an array of { name, input, options? }' }])
  if (items.length > ENQUEUE_MANY_ITEMS_MAX) throw new ValidationError([{ path: [], message: `a batch holds at most ${ENQUEUE_MANY_ITEMS_MAX} tasks (ENQUEUE_MANY_ITEMS_MAX), got ${items.length}` }])
  const issues: FieldIssue[] = []
  // Synchronous for schemas that are (zod without async refinements): no promise per item; async ones are awaited together.
  const checked: Array<Checked | undefined> = new Array(items.length)
  const later: Array<Promise<void>> = []
  items.forEach((item: unknown, i) => {
    const bad = (path: Array<string | number>, message: string): undefined => { issues.push({ path: [i, ...path], message }) }
    if (typeof item !== 'object' || item === null) return bad([], 'expected an object { name, input, options? }')
    const { name, input, options = {} } = item as Partial<EnqueueItem>
    if (typeof options !== 'object' || options === null) return bad(['options'], 'must be an object')
    const def = typeof name === 'string' ? definitions.get(name) : undefined
    if (def === undefined) return bad(['name'], typeof name === 'string' ? `no task is defined with the name ${JSON.stringify(name)}` : 'must be a task name')
    const take = (found: Inspection): void => {
      for (const f of found.input) bad(['input', ...f.path], f.message)
      if (found.tooLarge !== undefined) bad(['input'], found.tooLarge)
      for (const f of found.options) bad(['options', ...f.path], f.message)
      checked[i] = { def, input, options, inputBytes: found.inputBytes }
    }
    const found = inspectNow(def, input, options)
    if (found instanceof Promise) later.push(found.then(take))
    else take(found)
  })
  if (later.length > 0) await Promise.all(later)
  if (issues.length > 0) throw new ValidationError(issues.sort((a, b) => Number(a.path[0]) - Number(b.path[0])))
  const ok = checked as Checked[]
  const bytes = ok.reduce((n, c) => n + c.inputBytes, 0)
  if (bytes > ENQUEUE_MANY_BYTES_MAX) throw new ValidationError([{ path: [], message: `the inputs of a batch take at most ${ENQUEUE_MANY_BYTES_MAX} bytes encoded (ENQUEUE_MANY_BYTES_MAX), got ${bytes}` }])
  return ok
}

interface Inspection {
  input: FieldIssue[]
  options: FieldIssue[]
  tooLarge?: string
  inputBytes: number
}

/** Issues of the input (paths relative to it) and of the options (by name), and the input's encoded size; a promise only when the schema is async. */
function inspectNow(def: TaskDefinition, input: unknown, options: TaskOptions): Inspection | Promise<Inspection> {
  const found = (inputIssues: FieldIssue[]): Inspection => {
    const inputBytes = pack(input).length
    const tooLarge = inputBytes > INPUT_BYTES_MAX ? `is larger than ${INPUT_BYTES_MAX} bytes encoded` : undefined
    return { input: inputIssues, options: optionIssues(options), tooLarge, inputBytes }
  }
  const issuesOf = (err: unknown): FieldIssue[] => {
    if (!(err instanceof ValidationError)) throw err
    return err.fields
  }
  let checked: unknown
  try {
    checked = validateNow(def.input, input)
  } catch (err) {
    return found(issuesOf(err))
  }
  return checked instanceof Promise ? checked.then(() => found([]), (err: unknown) => found(issuesOf(err))) : found([])
}

/** Problems of enqueue options, each under the option's name (values of the wrong type included: they may come from JSON). */
export function optionIssues(o: TaskOptions): FieldIssue[] {
  const issues: FieldIssue[] = []
  const bad = (path: string, message: string): void => { issues.push({ path: [path], message }) }
  if (o.idempotencyKey !== undefined && (typeof o.idempotencyKey !== 'string' || o.idempotencyKey.length === 0 || o.idempotencyKey.length > IDEMPOTENCY_KEY_LENGTH_MAX)) {
    bad('idempotencyKey', `must be a string of 1-${IDEMPOTENCY_KEY_LENGTH_MAX} characters`)
  }
  if (o.delayMs !== undefined && !(Number.isFinite(o.delayMs) && o.delayMs >= 0)) bad('delayMs', 'must be a number >= 0')
  if (o.runAt !== undefined && !Number.isFinite(o.runAt)) bad('runAt', 'must be a wall time in ms')
  if (o.runAt !== undefined && o.delayMs !== undefined) bad('runAt', 'give delayMs or runAt, not both')
  if (o.priority !== undefined && !Number.isFinite(o.priority)) bad('priority', 'must be a finite number')
  if (o.taskTimeoutMs !== undefined && !(Number.isFinite(o.taskTimeoutMs) && o.taskTimeoutMs > 0)) bad('taskTimeoutMs', 'must be a positive number')
  return issues
}

export interface BuildContext {
  /** Wall ms. */
  now: number
  random: Random
  self: string
  partitionOf: (id: string) => number
  allExpiryMs: number
}

/**
 * The records of checked tasks: `ids` in item order, `fresh` one record per
 * distinct id (items with the same name and idempotency key are one task; the
 * first item wins), with its estimated encoded size.
 */
export function buildRecords(checked: readonly Checked[], ctx: BuildContext): { ids: string[], fresh: Map<string, { record: TaskRecord, bytes: number }> } {
  const ids: string[] = []
  const fresh = new Map<string, { record: TaskRecord, bytes: number }>()
  for (const { def, input, options: o, inputBytes } of checked) {
    const key = o.idempotencyKey
    const id = key === undefined ? randomId(ctx.random, ctx.now) : idForKey(def.name, key)
    ids.push(id)
    if (fresh.has(id)) continue
    const runAt = o.runAt ?? ctx.now + (o.delayMs ?? 0)
    fresh.set(id, {
      bytes: inputBytes + RECORD_OVERHEAD_BYTES,
      record: newRecord({
        id, name: def.name, scope: def.scope, partition: ctx.partitionOf(id), input, priority: o.priority ?? def.priority,
        idempotencyKey: key, timeoutMs: o.taskTimeoutMs, expiresAt: def.scope === 'all' ? runAt + ctx.allExpiryMs : undefined,
        runAt, now: ctx.now, self: ctx.self,
      }),
    })
  }
  return { ids, fresh }
}
