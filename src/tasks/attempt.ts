// One attempt of a task's handler: its ctx, its deadline, and a race of the
// handler against its signal (timeout, cancellation, partition loss, stop).
// The runner decides what the outcome means for the record.

import { pack } from 'msgpackr'
import { isThenable } from '../util/thenable.js'
import { cutText } from '../util/describe.js'
import { validateNow } from '../app/validate.js'
import { TimeoutError, toErrorShape, type ErrorShape } from '../errors.js'
import type { Timers } from '../util/clock.js'
import type { LazyAbortController } from '../util/abort.js'
import type { Logger } from '../util/logger.js'
import type { TaskContext, TaskContextBase, TaskDefinition } from './define.js'
import { PartitionLostError, TaskCancelledError } from './errors.js'
import { TASK_ERROR_DETAILS_BYTES_MAX, TASK_ERROR_MESSAGE_CHARS_MAX } from './constants.js'
import { ERROR_CODE_LENGTH_MAX, ERROR_NAME_LENGTH_MAX } from '../wire/constants.js'
import type { Attempt, AttemptOutcome, TaskRecord } from './record.js'

export interface AttemptDeps {
  timers: Timers
  logger: Logger
  self: string
  taskTimeoutMs: number
  /** Extra ctx fields (the peer's actor and task senders). */
  context?: () => object
  /** `ctx.peer`, made once by the caller for all its attempts; default a new one per attempt. */
  peer?: { readonly id: string }
}

export interface AttemptRun {
  def: TaskDefinition
  record: TaskRecord
  attempt: Attempt
  controller: LazyAbortController
  deps: AttemptDeps
}

/** The outcome of every attempt that ends well: one object, read only. */
const OK: { readonly outcome: AttemptOutcome } = Object.freeze({ outcome: 'ok' })

/**
 * Runs the handler once, racing it against its signal; never throws. A handler that returns without a promise
 * (and an input schema that checks synchronously) ends here at once: no timer, no race.
 */
export async function runAttempt({ def, record, attempt, controller, deps }: AttemptRun): Promise<{ readonly outcome: AttemptOutcome, readonly error?: ErrorShape }> {
  const { timers, logger, self } = deps
  // The peer's extensions (actor and task senders) arrive through deps.context.
  const base = new AttemptContext(record, attempt, deps.peer ?? { id: self }, controller, logger)
  const extensions = deps.context?.()
  const ctx = (extensions === undefined ? base : Object.assign(base, extensions)) as unknown as TaskContext
  let pending: Promise<unknown>
  try {
    const checked = validateNow(def.input, record.input)
    // Never call the handler with a signal that already fired (the partition may go while the attempt is being written).
    if (!(checked instanceof Promise)) {
      if (controller.aborted) throw controller.reason
      const out: unknown = def.run(ctx, checked)
      if (!isThenable(out)) return OK
      pending = Promise.resolve(out)
    } else {
      pending = checked.then((value) => {
        if (controller.aborted) throw controller.reason
        return def.run(ctx, value)
      })
    }
  } catch (err) {
    return failed(controller, err)
  }
  const signal = controller.signal
  const timeoutMs = record.timeoutMs ?? def.timeoutMs ?? deps.taskTimeoutMs
  const timer = timers.setTimeout(() => controller.abort(new TimeoutError(`task ${record.id} timed out after ${timeoutMs} ms`)), timeoutMs)
  pending.catch((err: unknown) => { if (signal.aborted) logger.debug('an aborted task handler ended', { id: record.id, err: String(err) }) })
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([pending, aborted])
    return OK
  } catch (err) {
    return failed(signal, err)
  } finally {
    timers.clearTimeout(timer)
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

/**
 * A handler's ctx. A class, not an object literal with getters (a new pair of accessor closures per attempt): the
 * signal and the child logger are made when the handler first reads them.
 */
class AttemptContext implements TaskContextBase {
  readonly taskId: string
  readonly name: string
  readonly fence: string | undefined
  readonly partition: number
  readonly peer: { readonly id: string }
  readonly attempt: number
  readonly #controller: LazyAbortController
  readonly #logger: Logger
  readonly #n: number
  #child: Logger | undefined

  constructor(record: TaskRecord, attempt: Attempt, peer: { readonly id: string }, controller: LazyAbortController, logger: Logger) {
    this.taskId = record.id
    this.name = record.name
    this.fence = attempt.fence
    this.partition = record.partition
    this.peer = peer
    this.attempt = record.scope === 'any' ? attemptsInRound(record) : attempt.n
    this.#controller = controller
    this.#logger = logger
    this.#n = attempt.n
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  get logger(): Logger {
    return this.#child ??= this.#logger.child({ task: this.name, taskId: this.taskId, attempt: this.#n })
  }
}

/** How many attempts the record has in its current round (attemptsOf's length, without the array). */
function attemptsInRound(r: TaskRecord): number {
  let n = 0
  for (const a of r.attempts) if (a.round === r.round) n++
  return n
}

function failed(signal: { aborted: boolean, reason: unknown }, err: unknown): { outcome: AttemptOutcome, error: ErrorShape } {
  return signal.aborted ? { outcome: outcomeOf(signal.reason), error: storedError(toErrorShape(signal.reason)) } : { outcome: 'error', error: storedError(toErrorShape(err)) }
}

/**
 * The error an attempt keeps in its record, which every peer stores and which must fit a sync page and a frame:
 * name and code cut to what the wire accepts, the message to TASK_ERROR_MESSAGE_CHARS_MAX, and `details` kept only
 * when msgpack encodes them within TASK_ERROR_DETAILS_BYTES_MAX (a handler's 3 MB message once made a failed
 * record too large to reach any other peer, which kept it pending).
 */
function storedError(shape: ErrorShape): ErrorShape {
  const out: ErrorShape = {
    name: cutText(shape.name, ERROR_NAME_LENGTH_MAX),
    message: cutText(shape.message, TASK_ERROR_MESSAGE_CHARS_MAX),
    code: cutText(shape.code, ERROR_CODE_LENGTH_MAX),
    retryable: shape.retryable,
  }
  if (shape.status !== undefined) out.status = shape.status
  if (shape.details !== undefined) {
    let bytes: number | undefined
    try {
      bytes = pack(shape.details).length
    } catch {
      bytes = undefined
    }
    out.details = bytes !== undefined && bytes <= TASK_ERROR_DETAILS_BYTES_MAX
      ? shape.details
      : { dropped: `${bytes === undefined ? 'details msgpack cannot encode' : `${bytes} bytes of details`}, over TASK_ERROR_DETAILS_BYTES_MAX (${TASK_ERROR_DETAILS_BYTES_MAX})` }
  }
  return out
}



function outcomeOf(reason: unknown): AttemptOutcome {
  if (reason instanceof TimeoutError) return 'timeout'
  if (reason instanceof TaskCancelledError) return 'cancelled'
  if (reason instanceof PartitionLostError) return 'lost'
  return 'aborted'
}
