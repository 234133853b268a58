// Named errors of the task plane. They cross the wire as ErrorShape and keep
// their name and code; `ValidationError` (422) comes from the app layer so
// an HTTP action that enqueues answers bad task input like bad action input.
import { TroupeError, type TroupeErrorOptions } from '../errors.js'
import { cutText } from '../util/describe.js'
import { TASK_ID_LENGTH_MAX } from './constants.js'

export { ValidationError } from '../app/errors.js'

/** No task definition has this name. */
export class UnknownTaskError extends TroupeError {
  constructor(name: string, options: TroupeErrorOptions = {}) {
    super(`no task is defined with the name ${JSON.stringify(name)}`, { code: 'ERR_UNKNOWN_TASK', status: 404, ...options })
    this.name = 'UnknownTaskError'
  }
}

/** No record with this id is known to this peer. */
export class TaskNotFoundError extends TroupeError {
  constructor(id: string, options: TroupeErrorOptions = {}) {
    // No task id is longer than TASK_ID_LENGTH_MAX: a longer one (from a URL) is not echoed whole.
    super(`no task with id ${cutText(id, TASK_ID_LENGTH_MAX)}`, { code: 'ERR_TASK_NOT_FOUND', status: 404, ...options })
    this.name = 'TaskNotFoundError'
  }
}

/** The operation does not apply to the task's state (retry of a pending task, cancel of a done one). */
export class TaskStateError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_TASK_STATE', status: 409, ...options })
    this.name = 'TaskStateError'
  }
}

/**
 * `enqueue` could not get the required replica acks within its deadline. The
 * task IS stored on this peer and keeps spreading by gossip and sync; it is
 * just not yet known to survive this peer's crash. Retrying with the same
 * idempotency key is safe.
 */
export class NotReplicatedError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_NOT_REPLICATED', status: 503, retryable: true, ...options })
    this.name = 'NotReplicatedError'
  }
}

/** The reason a handler's signal fires when its task is cancelled. */
export class TaskCancelledError extends TroupeError {
  constructor(id: string, options: TroupeErrorOptions = {}) {
    super(`task ${id} was cancelled`, { code: 'ERR_TASK_CANCELLED', status: 409, ...options })
    this.name = 'TaskCancelledError'
  }
}

/** The reason a handler's signal fires when this peer loses the task's partition. */
export class PartitionLostError extends TroupeError {
  constructor(partition: number, options: TroupeErrorOptions = {}) {
    super(`this peer lost partition ${partition}`, { code: 'ERR_PARTITION_LOST', status: 503, retryable: true, ...options })
    this.name = 'PartitionLostError'
  }
}

/** The reason a handler's signal fires when the peer stops before the task finished. */
export class TaskServiceStoppingError extends TroupeError {
  constructor(options: TroupeErrorOptions = {}) {
    super('the task service is stopping', { code: 'ERR_STOPPING', status: 503, retryable: true, ...options })
    this.name = 'TaskServiceStoppingError'
  }
}
