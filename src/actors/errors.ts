// Named errors of the actor plane. They cross the wire as ErrorShape and are
// rebuilt with the same name and code, so a remote sender can tell them apart.
import { TroupeError, type TroupeErrorOptions } from '../errors.js'

/**
 * The actor's partition moved away from the peer that was about to run the
 * message (or was running it). Retryable: the system re-sends it to the new
 * holder by itself within the caller's deadline; callers see it only if the
 * deadline ran out while the actor was moving.
 */
export class ActorMovedError extends TroupeError {
  constructor(address: string, options: TroupeErrorOptions = {}) {
    super(`actor ${address} moved to another peer`, { code: 'ERR_ACTOR_MOVED', status: 503, retryable: true, ...options })
    this.name = 'ActorMovedError'
  }
}

/**
 * The actor's mailbox holds mailboxMax messages. Retryable (later, once the
 * actor catches up), but never retried by the system itself: it is
 * backpressure the caller must see and slow down for.
 */
export class MailboxFullError extends TroupeError {
  constructor(address: string, mailboxMax: number, options: TroupeErrorOptions = {}) {
    super(`the mailbox of actor ${address} is full (${mailboxMax} messages)`, { code: 'ERR_MAILBOX_FULL', status: 429, retryable: true, ...options })
    this.name = 'MailboxFullError'
  }
}

/** A malformed actor address (`type/key`). */
export class InvalidAddressError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_ACTOR_ADDRESS', status: 400, ...options })
    this.name = 'InvalidAddressError'
  }
}

/** No actor type of this name is defined. */
export class UnknownActorError extends TroupeError {
  constructor(type: string, options: TroupeErrorOptions = {}) {
    super(`no actor type ${JSON.stringify(type)} is defined`, { code: 'ERR_UNKNOWN_ACTOR', status: 404, ...options })
    this.name = 'UnknownActorError'
  }
}

/** The actor type has no handler of this name. */
export class UnknownHandlerError extends TroupeError {
  constructor(type: string, handler: string, options: TroupeErrorOptions = {}) {
    super(`actor type ${type} has no handler ${JSON.stringify(handler)}`, { code: 'ERR_UNKNOWN_HANDLER', status: 404, ...options })
    this.name = 'UnknownHandlerError'
  }
}

/** An encoded message or state exceeds its byte limit. Retrying will not help. */
export class ActorPayloadTooLargeError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_ACTOR_PAYLOAD_TOO_LARGE', status: 413, ...options })
    this.name = 'ActorPayloadTooLargeError'
  }
}

/** An actor asked itself from inside its own turn: the ask could only time out. */
export class ActorDeadlockError extends TroupeError {
  constructor(address: string, options: TroupeErrorOptions = {}) {
    super(`actor ${address} asked itself during its own turn; use tell, or call the logic directly`, { code: 'ERR_ACTOR_DEADLOCK', status: 500, ...options })
    this.name = 'ActorDeadlockError'
  }
}

/**
 * An activation could not read the actor's saved state from enough voters:
 * fewer than a majority answered, or every one that did is still catching up
 * after a voter-set change (catch-up.ts). Retryable: the system re-sends the
 * message by itself within the caller's deadline; callers see it only if the
 * deadline ran out first.
 */
export class ActorStateUnavailableError extends TroupeError {
  constructor(message: string, options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_ACTOR_STATE_UNAVAILABLE', status: 503, retryable: true, ...options })
    this.name = 'ActorStateUnavailableError'
  }
}

/** The actor system is not running (not started, or stopping). */
export class ActorSystemStoppedError extends TroupeError {
  constructor(message = 'the actor system is not running', options: TroupeErrorOptions = {}) {
    super(message, { code: 'ERR_ACTORS_STOPPED', status: 503, retryable: true, ...options })
    this.name = 'ActorSystemStoppedError'
  }
}
