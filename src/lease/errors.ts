// Named errors of the lease protocol that a shell or a caller may see.

import { TroupeError, type TroupeErrorOptions } from '../errors.js'

/** The caller acted on a partition it does not hold (or no longer holds at `now`). */
export class LeaseLostError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_LEASE_LOST', status: 409, retryable: true, ...options })
    this.name = 'LeaseLostError'
  }
}

/** A message from the wire failed validation; `reason` says which field and why. */
export class LeaseMessageError extends TroupeError {
  readonly reason: string
  constructor(reason: string) {
    super(`invalid lease message: ${reason}`, { code: 'ERR_LEASE_MESSAGE', status: 400 })
    this.name = 'LeaseMessageError'
    this.reason = reason
  }
}
