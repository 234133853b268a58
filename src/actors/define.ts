// An actor definition: a type name, how to make a fresh state, and the
// handlers that run one message at a time against that state.
import { isStandardSchema, type StandardSchemaV1 } from '../app/standard-schema.js'
import { ConfigError } from '../errors.js'
import type { Logger } from '../util/logger.js'
import { ACTOR_TYPE_LENGTH_MAX, ACTOR_TYPE_PATTERN, HANDLER_NAME_LENGTH_MAX, HANDLER_NAME_PATTERN, MAILBOX_MAX_LIMIT } from './constants.js'

export interface SendOptions {
  signal?: AbortSignal
  /** Give up after this long; default the system's askTimeoutMs. */
  timeoutMs?: number
}

/** Sending to actors: what `ActorSystem` and `ctx.actors` offer. */
export interface Actors {
  /** Resolves once the actor's host has accepted the message into the mailbox; rejects with the reason it could not. */
  tell(address: string, handler: string, message?: unknown, options?: SendOptions): Promise<void>
  /** Resolves with the handler's result, after the state change it made is saved; rejects with the handler's error. */
  ask<R = unknown>(address: string, handler: string, message?: unknown, options?: SendOptions): Promise<R>
}

/**
 * What the peer adds to every actor's ctx (the task sender, and `schedule` on
 * `ctx.actors`, as actions and tasks have them). Empty here; filled by module
 * augmentation in the peer.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by augmentation
export interface ActorContextExtensions {}

/** What a handler gets: the actor's address and state, senders to other actors and tasks, a signal and a logger. */
export type ActorContext<S> = ActorContextBase<S> & ActorContextExtensions

/** The ctx fields the actor system itself provides. */
export interface ActorContextBase<S> {
  /** `type/key`. */
  readonly address: string
  readonly type: string
  readonly key: string
  /** The state; mutate it in place or assign a new value. Saved after the turn if it changed. */
  state: S
  setState(next: S): void
  /** Tell and ask other actors. Asking yourself from a turn rejects with ActorDeadlockError. */
  readonly actors: Actors
  /** Fires when the turn's deadline passes, the partition moves away, or the system stops. */
  readonly signal: AbortSignal
  readonly logger: Logger
  /** The fencing token of the partition: pass it to resources that reject stale writers. */
  readonly fence: string
}

export type DeactivateReason = 'idle' | 'stop' | 'moved'

/** A handler: the message is `unknown` unless annotated (the annotation is trusted, or validate it yourself). */
type Handler<S> = { bivarianceHack(ctx: ActorContext<S>, message: unknown): unknown }['bivarianceHack']

/** What `defineActor` takes: a type, the initial state and the message handlers. */
export interface ActorInit<S> {
  type: string
  initialState: () => S
  handlers: Record<string, Handler<S>>
  /** Optional Standard Schemas (zod, valibot, ...) of handlers' messages, checked on the host before the turn; a bad message rejects with ValidationError (422). */
  inputs?: Record<string, StandardSchemaV1>
  /** Runs after the state is restored, before the first message. Errors fail the activation. */
  onActivate?: (ctx: ActorContext<S>) => unknown
  /** Runs before the activation goes away. State changes are saved, except on 'moved' (the actor lives on elsewhere). */
  onDeactivate?: (ctx: ActorContext<S>, reason: DeactivateReason) => unknown
  /** Deactivate after this long without messages; default the system's idleMs (60 s). */
  idleMs?: number
  /** Messages waiting before senders get MailboxFullError; default the system's mailboxMax (1 000). */
  mailboxMax?: number
  /**
   * true (default): an ask resolves only after the state change its turn made
   * (and every earlier one) is committed on this peer's disk and acked or
   * timed out on the replicas. false: it resolves when the handler returns,
   * and the save follows in the background, in order; a crash of the host can
   * then lose changes whose replies were already sent.
   */
  replyAfterSave?: boolean
}

/** An actor type, made by `defineActor`; one activation per address (`type/key`) in the cluster. */
export interface ActorDefinition<S = unknown> extends Readonly<ActorInit<S>> {
  readonly handlers: Readonly<Record<string, Handler<S>>>
}

/** Defines an actor type. Address an instance as `type/key`; it is activated where its partition is held. */
export function defineActor<S>(init: ActorInit<S>): ActorDefinition<S> {
  const { type } = init
  if (typeof type !== 'string' || type.length > ACTOR_TYPE_LENGTH_MAX || !ACTOR_TYPE_PATTERN.test(type)) {
    throw new ConfigError(`invalid actor type ${JSON.stringify(type)}: use 1-${ACTOR_TYPE_LENGTH_MAX} characters from [a-zA-Z0-9_.-]`)
  }
  if (typeof init.initialState !== 'function') throw new ConfigError(`actor ${type}: initialState must be a function returning a fresh state`)
  checkHandlers(type, init.handlers)
  checkInputs(type, init.handlers, init.inputs)
  for (const hook of ['onActivate', 'onDeactivate'] as const) {
    if (init[hook] !== undefined && typeof init[hook] !== 'function') throw new ConfigError(`actor ${type}: ${hook} must be a function`)
  }
  if (init.replyAfterSave !== undefined && typeof init.replyAfterSave !== 'boolean') throw new ConfigError(`actor ${type}: replyAfterSave must be a boolean`)
  if (init.idleMs !== undefined && !(Number.isSafeInteger(init.idleMs) && init.idleMs > 0)) {
    throw new ConfigError(`actor ${type}: idleMs must be a positive integer, got ${init.idleMs}`)
  }
  if (init.mailboxMax !== undefined && !(Number.isSafeInteger(init.mailboxMax) && init.mailboxMax > 0 && init.mailboxMax <= MAILBOX_MAX_LIMIT)) {
    throw new ConfigError(`actor ${type}: mailboxMax must be an integer from 1 to ${MAILBOX_MAX_LIMIT}, got ${init.mailboxMax}`)
  }
  return Object.freeze({ ...init, handlers: Object.freeze({ ...init.handlers }), inputs: init.inputs === undefined ? undefined : Object.freeze({ ...init.inputs }) })
}

function checkHandlers(type: string, handlers: unknown): void {
  if (typeof handlers !== 'object' || handlers === null) throw new ConfigError(`actor ${type}: handlers must be an object of functions`)
  const names = Object.keys(handlers)
  if (names.length === 0) throw new ConfigError(`actor ${type}: define at least one handler`)
  for (const name of names) {
    if (name.length > HANDLER_NAME_LENGTH_MAX || !HANDLER_NAME_PATTERN.test(name)) {
      throw new ConfigError(`actor ${type}: invalid handler name ${JSON.stringify(name)}: use 1-${HANDLER_NAME_LENGTH_MAX} characters from [a-zA-Z0-9_.:-]`)
    }
    if (typeof (handlers as Record<string, unknown>)[name] !== 'function') throw new ConfigError(`actor ${type}: handler ${name} must be a function`)
  }
}

function checkInputs(type: string, handlers: Record<string, unknown>, inputs: unknown): void {
  if (inputs === undefined) return
  if (typeof inputs !== 'object' || inputs === null) throw new ConfigError(`actor ${type}: inputs must be an object of schemas`)
  for (const [name, schema] of Object.entries(inputs)) {
    if (!Object.hasOwn(handlers, name)) throw new ConfigError(`actor ${type}: inputs.${name} names no handler`)
    if (!isStandardSchema(schema)) throw new ConfigError(`actor ${type}: inputs.${name} must be a Standard Schema (e.g. a zod schema)`)
  }
}
