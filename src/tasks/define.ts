// A task definition: a named, validated handler that runs later, on one peer
// ("any") or on every peer ("all"), once or every `frequencyMs`.
import { isStandardSchema, type InferOutput, type StandardSchemaV1 } from '../app/standard-schema.js'
import { ConfigError } from '../errors.js'
import type { Logger } from '../util/logger.js'
import { BACKOFF_FACTOR, LOST_MAX_DEFAULT, RETRY_ATTEMPTS_MAX, TASK_NAME_LENGTH_MAX, TASK_NAME_PATTERN } from './constants.js'
import { parseCron, type CronSchedule } from './cron.js'

export type TaskScope = 'any' | 'all'

export interface RetryPolicy {
  /** Attempts in total, the first included (1 = never retried). */
  attempts: number
  /** Delay before the second attempt. */
  backoffMs: number
  /** Each further delay is multiplied by this (default 2; 1 = constant). */
  backoffFactor?: number
  /**
   * Attempts of a round that may lose their runner mid-run (the peer died or was cut off, and the next peer to start
   * the task found the attempt unended) before the task fails with `ERR_TASK_LOST_TOO_OFTEN` instead of running
   * again: a handler that kills its process would otherwise take every peer down in turn. Default 3
   * (LOST_MAX_DEFAULT); 0 fails the task at the first such loss. Attempts their runner ended itself (a partition
   * moved, a graceful stop) never count. A `retry()` starts a new round and the count again.
   */
  lostMax?: number
}

/**
 * What the peer adds to every task's ctx (the actor and task senders that
 * actions have). Empty here; filled by module augmentation in the peer.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by augmentation
export interface TaskContextExtensions {}

export type TaskContext = TaskContextBase & TaskContextExtensions

export interface TaskContextBase {
  readonly taskId: string
  readonly name: string
  /** 1 for the first attempt (on this peer, for "all" tasks). */
  readonly attempt: number
  /** The partition's fencing token for "any" tasks: pass it to resources that reject stale writers. */
  readonly fence: string | undefined
  /**
   * The lease partition the task belongs to (the fence is per partition: a resource keeps the newest fence
   * per partition). Read it here rather than from `ctx.tasks.get(ctx.taskId)`: a new task may start on
   * receipt, before this peer has stored its record.
   */
  readonly partition: number
  readonly peer: { readonly id: string }
  /** Fires on timeout, cancellation, partition loss and peer stop; its reason says which. */
  readonly signal: AbortSignal
  readonly logger: Logger
}

export interface TaskInit<S extends StandardSchemaV1> {
  name: string
  description?: string
  scope: TaskScope
  input: S
  /** Run every this many ms (wall-clock periods): once per period across the cluster ("any") or on every peer ("all"). */
  frequencyMs?: number
  /** Run on a five-field cron schedule, in UTC (see cron.ts); exclusive with frequencyMs. */
  cron?: string
  /** The input of each periodic occurrence (default `{}`); checked against `input` when the service starts. */
  periodicInput?: unknown
  /** Default: one attempt, no retry. */
  retry?: RetryPolicy
  /** Deadline of one attempt; default the service's taskTimeoutMs. */
  timeoutMs?: number
  /** Default priority of enqueued tasks; higher runs first among due tasks. Default 0. */
  priority?: number
  /**
   * CPU-bound: run in the peer's worker-thread pool, so that it uses another
   * core and never blocks the peer's event loop. The worker loads the app's
   * module again, so the app must come from a module (`troupe start --app`,
   * `loadApp`, or `createPeer({ appModule })`); input and result must survive
   * structured cloning. See docs/tasks.md.
   */
  cpu?: boolean
  run(ctx: TaskContext, input: InferOutput<S>): unknown
}

/** A checked definition; `S` only appears in `run` so definitions with different inputs share one list. */
export interface TaskDefinition<S extends StandardSchemaV1 = StandardSchemaV1> {
  readonly name: string
  readonly description?: string
  readonly scope: TaskScope
  readonly input: StandardSchemaV1
  readonly frequencyMs?: number
  readonly cron?: CronSchedule
  readonly periodicInput: unknown
  readonly retry: Required<RetryPolicy>
  readonly timeoutMs?: number
  readonly priority: number
  readonly cpu: boolean
  run(ctx: TaskContext, input: InferOutput<S>): unknown
}

/** Shortest period: a peer creates one record per period per periodic task. */
export const FREQUENCY_MS_MIN = 50

export function defineTask<S extends StandardSchemaV1>(init: TaskInit<S>): TaskDefinition<S> {
  const { name } = init
  if (typeof name !== 'string' || !TASK_NAME_PATTERN.test(name) || name.length > TASK_NAME_LENGTH_MAX) {
    throw new ConfigError(`invalid task name ${JSON.stringify(name)}: use 1-${TASK_NAME_LENGTH_MAX} characters from [a-zA-Z0-9_.:-]`)
  }
  if (init.scope !== 'any' && init.scope !== 'all') throw new ConfigError(`task ${name}: scope must be "any" or "all", got ${JSON.stringify(init.scope)}`)
  if (!isStandardSchema(init.input)) throw new ConfigError(`task ${name}: input must be a Standard Schema (e.g. a zod schema), got ${typeof init.input}`)
  if (typeof init.run !== 'function') throw new ConfigError(`task ${name}: run must be a function`)
  if (init.timeoutMs !== undefined && !(Number.isFinite(init.timeoutMs) && init.timeoutMs > 0)) {
    throw new ConfigError(`task ${name}: timeoutMs must be a positive number, got ${init.timeoutMs}`)
  }
  if (init.frequencyMs !== undefined && !(Number.isInteger(init.frequencyMs) && init.frequencyMs >= FREQUENCY_MS_MIN)) {
    throw new ConfigError(`task ${name}: frequencyMs must be an integer >= ${FREQUENCY_MS_MIN}, got ${init.frequencyMs}`)
  }
  if (init.priority !== undefined && !Number.isFinite(init.priority)) throw new ConfigError(`task ${name}: priority must be a finite number`)
  if (init.cpu !== undefined && typeof init.cpu !== 'boolean') throw new ConfigError(`task ${name}: cpu must be true or false`)
  if (init.cron !== undefined && init.frequencyMs !== undefined) throw new ConfigError(`task ${name}: give frequencyMs or cron, not both`)
  return Object.freeze({
    ...init,
    cron: init.cron === undefined ? undefined : checkCron(name, init.cron),
    retry: checkRetry(name, init.retry),
    priority: init.priority ?? 0,
    cpu: init.cpu === true,
    periodicInput: init.periodicInput ?? {},
  })
}

function checkCron(name: string, expression: unknown): CronSchedule {
  if (typeof expression !== 'string') throw new ConfigError(`task ${name}: cron must be a string like "*/5 * * * *"`)
  try {
    return parseCron(expression)
  } catch (err) {
    throw new ConfigError(`task ${name}: ${(err as Error).message}`)
  }
}

function checkRetry(name: string, retry: RetryPolicy | undefined): Required<RetryPolicy> {
  if (retry === undefined) return { attempts: 1, backoffMs: 0, backoffFactor: BACKOFF_FACTOR, lostMax: LOST_MAX_DEFAULT }
  const { attempts, backoffMs } = retry
  const backoffFactor = retry.backoffFactor ?? BACKOFF_FACTOR
  const lostMax = retry.lostMax ?? LOST_MAX_DEFAULT
  if (!(Number.isInteger(attempts) && attempts >= 1 && attempts <= RETRY_ATTEMPTS_MAX)) {
    throw new ConfigError(`task ${name}: retry.attempts must be an integer from 1 (the first attempt counts) to ${RETRY_ATTEMPTS_MAX} (RETRY_ATTEMPTS_MAX), got ${attempts}`)
  }
  if (!(Number.isFinite(backoffMs) && backoffMs >= 0)) throw new ConfigError(`task ${name}: retry.backoffMs must be a number >= 0, got ${backoffMs}`)
  if (!(Number.isFinite(backoffFactor) && backoffFactor >= 1)) throw new ConfigError(`task ${name}: retry.backoffFactor must be a number >= 1, got ${backoffFactor}`)
  if (!(Number.isInteger(lostMax) && lostMax >= 0 && lostMax <= RETRY_ATTEMPTS_MAX)) {
    throw new ConfigError(`task ${name}: retry.lostMax must be an integer from 0 to ${RETRY_ATTEMPTS_MAX} (RETRY_ATTEMPTS_MAX), got ${lostMax}`)
  }
  return { attempts, backoffMs, backoffFactor, lostMax }
}
