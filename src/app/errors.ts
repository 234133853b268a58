// Errors an action (or its middleware) throws on purpose. They reach the
// client with their own status and code; unknown errors become a 500.
import { TroupeError, type TroupeErrorOptions } from '../errors.js'

/**
 * Thrown by an action to answer with a chosen status, e.g.
 * `throw new ActionError('no such order', { status: 404, code: 'ERR_NO_ORDER' })`.
 * Defaults to 400; the message is shown to the client as written.
 */
export class ActionError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_ACTION', status: 400, ...options })
    this.name = 'ActionError'
  }
}

/** One failing field: where in the input, and what is wrong with it. */
export interface FieldIssue {
  path: Array<string | number>
  message: string
}

/** The input did not pass the action's schema. Answered with 422 and the failing fields. */
export class ValidationError extends TroupeError {
  readonly fields: FieldIssue[]

  constructor(fields: FieldIssue[], options: TroupeErrorOptions = {}) {
    super(summary(fields), { code: 'ERR_VALIDATION', status: 422, ...options })
    this.name = 'ValidationError'
    this.fields = fields
  }
}

function summary(fields: FieldIssue[]): string {
  const first = fields[0]
  if (first === undefined) return 'invalid input'
  const where = first.path.length === 0 ? 'input' : first.path.join('.')
  const more = fields.length > 1 ? ` (and ${fields.length - 1} more)` : ''
  return `invalid input: ${where}: ${first.message}${more}`
}
