// Errors of the HTTP layer itself, and the one place that turns any thrown
// value into a status and an `{ error }` body.
import { HTTPException } from 'hono/http-exception'
import { isTroupeError, TroupeError, type TroupeErrorOptions } from '../errors.js'
import type { FieldIssue } from '../app/errors.js'

export class NotFoundError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_NOT_FOUND', status: 404, ...options })
    this.name = 'NotFoundError'
  }
}

export class MethodNotAllowedError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_METHOD_NOT_ALLOWED', status: 405, ...options })
    this.name = 'MethodNotAllowedError'
  }
}

export class MalformedJsonError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_MALFORMED_JSON', status: 400, ...options })
    this.name = 'MalformedJsonError'
  }
}

export class PayloadTooLargeError extends TroupeError {
  constructor(bytesMax: number, options: TroupeErrorOptions = {}) {
    super(`request body exceeds ${bytesMax} bytes`, { code: 'ERR_PAYLOAD_TOO_LARGE', status: 413, ...options })
    this.name = 'PayloadTooLargeError'
  }
}

export class UnsupportedMediaTypeError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_UNSUPPORTED_MEDIA_TYPE', status: 415, ...options })
    this.name = 'UnsupportedMediaTypeError'
  }
}

/** No credentials, or the wrong ones (401, with `WWW-Authenticate: Bearer`). */
export class UnauthorizedError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_UNAUTHORIZED', status: 401, ...options })
    this.name = 'UnauthorizedError'
  }
}

/** Refused whatever the credentials (403): e.g. admin routes with no admin token configured, off loopback. */
export class ForbiddenError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_FORBIDDEN', status: 403, ...options })
    this.name = 'ForbiddenError'
  }
}

export interface ErrorBody {
  error: {
    name: string
    message: string
    code: string
    retryable: boolean
    /** Present on 5xx: the same id is logged with the stack. */
    id?: string
    /** Present on 422. */
    fields?: FieldIssue[]
    details?: unknown
  }
}

export interface MappedError {
  status: number
  body: ErrorBody
}

/**
 * Deliberate errors (TroupeError, hono's HTTPException) keep their status and
 * message. Anything else is a bug: 500, its name, a generic message and an
 * id to find the stack in the log; its message may hold secrets, so it stays home.
 */
export function mapError(err: unknown, newId: () => string): MappedError {
  // By shape, not prototype: an app loaded from another copy of troupe throws its own ActionError class.
  if (isTroupeError(err)) {
    const status = validStatus(err.status)
    const body: ErrorBody = { error: { name: err.name, message: err.message, code: err.code, retryable: err.retryable } }
    const fields = (err as { fields?: unknown }).fields
    if (Array.isArray(fields)) body.error.fields = fields as FieldIssue[]
    if (err.details !== undefined) body.error.details = err.details
    if (status >= 500) body.error.id = newId()
    return { status, body }
  }
  if (err instanceof HTTPException) {
    const status = validStatus(err.status)
    const body: ErrorBody = { error: { name: 'HTTPException', message: err.message, code: `ERR_HTTP_${status}`, retryable: false } }
    if (status >= 500) body.error.id = newId()
    return { status, body }
  }
  const name = err instanceof Error ? err.name : 'Error'
  return { status: 500, body: { error: { name, message: 'internal error', code: 'ERR_INTERNAL', retryable: false, id: newId() } } }
}

function validStatus(status: number): number {
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500
}
