// Errors the wire layer adds to src/errors.ts. They travel as ErrorShape like
// any other, so a remote BackpressureError arrives with the same name and code.

import { TroupeError, type TroupeErrorOptions } from '../errors.js'

/** The link's outbound queue or in-flight table is full: the peer is slow; retry later. */
export class BackpressureError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_BACKPRESSURE', status: 503, retryable: true, ...options })
    this.name = 'BackpressureError'
  }
}

/** An encoded request, reply or message exceeds frameBytesMax. Retrying will not help. */
export class PayloadTooLargeError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_PAYLOAD_TOO_LARGE', status: 413, ...options })
    this.name = 'PayloadTooLargeError'
  }
}

/** The remote peer has no handler for the requested channel. */
export class NoHandlerError extends TroupeError {
  constructor(channel: string, options: TroupeErrorOptions = {}) {
    super(`no handler for channel "${channel}"`, { code: 'ERR_NO_HANDLER', status: 404, ...options })
    this.name = 'NoHandlerError'
  }
}
