// Assertions are not error handling: they state invariants of the lease
// protocol, and a broken one means a bug, so it throws loudly.

import { TroupeError } from '../errors.js'

export class LeaseInvariantError extends TroupeError {
  constructor(message: string) {
    super(`lease invariant broken: ${message}`, { code: 'ERR_LEASE_INVARIANT' })
    this.name = 'LeaseInvariantError'
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new LeaseInvariantError(message)
}
