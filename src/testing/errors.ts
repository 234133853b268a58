// What the test helpers reject with when the cluster answered, but not with
// success: an action's error response, a task that failed or was cancelled.

import { TroupeError } from '../errors.js'
import type { ErrorBody } from '../http/errors.js'
import type { TaskRecord } from '../tasks/record.js'

/** The `error` of a failed action's response body: `fields` on 422, an `id` (also in the peer's log) on 5xx. */
export type ActionErrorBody = ErrorBody['error']

/** An action answered with an error status. `status` is the HTTP status, `code` the server's error code. */
export class ActionCallError extends TroupeError {
  /** The action's name. */
  readonly action: string
  /** The error as the peer sent it. */
  readonly body: ActionErrorBody

  constructor(action: string, status: number, body: ActionErrorBody) {
    super(`action ${action} answered ${status}: ${body.name}: ${body.message}`, { code: body.code, status, retryable: body.retryable, details: body.fields ?? body.details })
    this.name = 'ActionCallError'
    this.action = action
    this.body = body
  }
}

/** A task ended `failed` or `cancelled`. `record` is its final record; `record.error` says why it failed. */
export class TaskFailedError extends TroupeError {
  /** The task's final record. */
  readonly record: TaskRecord

  constructor(record: TaskRecord) {
    const why = record.error === undefined ? '' : `: ${record.error.name}: ${record.error.message}`
    super(`task ${record.name} (${record.id}) ended ${record.deleted ? 'deleted' : record.state} after ${record.attempts.length} attempt(s)${why}`, { code: 'ERR_TASK_FAILED', status: 500, details: record.error })
    this.name = 'TaskFailedError'
    this.record = record
  }
}
