// Named errors. An error that crosses the wire or reaches an HTTP client
// travels as `{ name, message, code, retryable, status? }` and is rebuilt on
// arrival as a TroupeError with the same name and code. Stacks never travel.

import { describeValue } from './util/describe.js'

/** An error as it travels between peers and to HTTP clients. Stacks never travel. */
export interface ErrorShape {
  name: string
  message: string
  code: string
  retryable: boolean
  status?: number
  details?: unknown
}

/** Options of every TroupeError. */
export interface TroupeErrorOptions {
  code?: string
  status?: number
  retryable?: boolean
  details?: unknown
  cause?: unknown
}

/** The base of Troupe's named errors: a `code`, the HTTP `status` it maps to, and whether a retry may help. */
export class TroupeError extends Error {
  readonly code: string
  readonly status: number
  readonly retryable: boolean
  readonly details: unknown

  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'TroupeError'
    this.code = options.code ?? 'ERR_TROUPE'
    this.status = options.status ?? 500
    this.retryable = options.retryable ?? false
    this.details = options.details
  }
}

/** A configuration problem: the peer refuses to start. Printed as one line, no stack. */
export class ConfigError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_CONFIG', ...options })
    this.name = 'ConfigError'
  }
}

/** A deadline passed (504, retryable). */
export class TimeoutError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_TIMEOUT', status: 504, retryable: true, ...options })
    this.name = 'TimeoutError'
  }
}

/** The caller's signal aborted the operation (499). */
export class AbortedError extends TroupeError {
  constructor(message = 'the operation was aborted', options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_ABORTED', status: 499, ...options })
    this.name = 'AbortedError'
  }
}

/** Not possible now (a peer is stopping, no holder, no replica): 503, retryable. */
export class UnavailableError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_UNAVAILABLE', status: 503, retryable: true, ...options })
    this.name = 'UnavailableError'
  }
}

/** A peer sent something that breaks the protocol (400). */
export class ProtocolError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_PROTOCOL', status: 400, ...options })
    this.name = 'ProtocolError'
  }
}

/** The wire form of any thrown value. Unknown errors keep their name and message only. */
export function toErrorShape(err: unknown): ErrorShape {
  if (isTroupeError(err)) {
    const shape: ErrorShape = { name: err.name, message: err.message, code: err.code, retryable: err.retryable, status: err.status }
    if (err.details !== undefined) shape.details = err.details
    return shape
  }
  if (err instanceof Error) {
    const code = typeof (err as unknown as { code?: unknown }).code === 'string' ? (err as unknown as { code: string }).code : 'ERR_INTERNAL'
    return { name: err.name, message: err.message, code, retryable: false }
  }
  return { name: 'Error', message: thrownText(err), code: 'ERR_INTERNAL', retryable: false }
}

/** String() of a thrown value that is not an Error; a map whose toString is not a function (`{ toString: 1 }`) makes String() throw. */
function thrownText(value: unknown): string {
  try {
    return String(value)
  } catch {
    return `a thrown ${describeValue(value)}`
  }
}

/** Rebuilds an error that arrived over the wire. */
export function fromErrorShape(shape: ErrorShape): TroupeError {
  const err = new TroupeError(shape.message, { code: shape.code, retryable: shape.retryable, status: shape.status, details: shape.details })
  err.name = shape.name
  return err
}

export function isErrorShape(value: unknown): value is ErrorShape {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.name === 'string' && typeof v.message === 'string' && typeof v.code === 'string' && typeof v.retryable === 'boolean'
}

/**
 * True for a TroupeError, also one from another copy of this module (an app
 * loaded from the built package while the peer runs from source, or the other
 * way round): the check is by shape, not by prototype.
 */
export function isTroupeError(err: unknown): err is TroupeError {
  if (err instanceof TroupeError) return true
  if (!(err instanceof Error)) return false
  const e = err as unknown as Record<string, unknown>
  return typeof e.code === 'string' && typeof e.status === 'number' && typeof e.retryable === 'boolean'
}
