// One activation of one actor on this peer: its state, its mailbox, and the
// loop that runs one turn at a time. The activation restores its state (the
// newest of the local copy and the replicas'), runs onActivate, then takes
// messages in arrival order. Before each turn and before saving it checks
// that this peer still holds the partition with the same fence and an
// unexpired lease; if not, the turn's state change is discarded and the
// activation closes as 'moved'.
import { isThenable } from '../util/thenable.js'
import { validateInput } from '../app/validate.js'
import { fromErrorShape, TimeoutError, toErrorShape } from '../errors.js'
import type { Clock, TimerHandle, Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { ActorAddress } from './address.js'
import { copy, decode, encodeBounded, sameBytes } from './codec.js'
import { AppliedIds } from './applied.js'
import { APPLIED_IDS_LIMIT, APPLIED_RESULT_BYTES_MAX } from './constants.js'
import type { ActorContext, ActorDefinition, Actors, DeactivateReason } from './define.js'
import { TurnSignal, type Envelope } from './envelope.js'
import { ActorMovedError, ActorSystemStoppedError, MailboxFullError } from './errors.js'
import { Mailbox } from './mailbox.js'
import type { Saver } from './saver.js'
import type { ReadState } from './replicas.js'
import type { StateRecord } from './wire.js'
import { scopeController } from '../util/abort.js'

export interface ActivationDeps {
  def: ActorDefinition<unknown>
  target: ActorAddress
  fence: string
  /** True while this peer holds the partition with `fence` and an unexpired lease. */
  holds: () => boolean
  /** The newest saved state (local or replicas), and whether a majority already holds it; gives up when `signal` aborts (the activation closes). */
  load: (signal: AbortSignal) => Promise<ReadState>
  saver: Saver
  /** `actors` for this address, plus the peer's extensions (`tasks`, `actors.schedule`). */
  senders: ActorSenders
  clock: Clock
  timers: Timers
  logger: Logger
  idleMs: number
  mailboxMax: number
  stateBytesMax: number
  appliedIdsMax: number
  /** How long an unanswered applied id is kept: no re-send arrives later. */
  appliedKeepMs: number
  /** Re-sends a queued tell after the actor moved away. */
  forward: (env: Envelope) => void
  /** Settles when the previous activation of this address has closed (it may still be saving). */
  previous: Promise<void>
  onClosed: () => void
}

type Phase = 'loading' | 'active' | 'closing' | 'closed'

export class Activation {
  readonly closed: Promise<void>
  private markClosed!: () => void
  private readonly mailbox: Mailbox<Envelope>
  private readonly scope = scopeController()
  private phase: Phase = 'loading'
  private reason: DeactivateReason = 'idle'
  private activated = false
  /** Something runs: the activation itself or the turn loop. */
  private running = false
  private idleTimer: TimerHandle | undefined
  /** Clock ms when the mailbox last ran empty. */
  private lastActive = 0
  private state: unknown
  private bytes: Uint8Array | undefined
  private version = 0
  /** The last save, rejecting if it failed: what a re-sent message's answer waits for. */
  private saved: Promise<void> = Promise.resolve()
  /** The same, never rejecting (the failure is logged and closes the activation). */
  private durable: Promise<void> = Promise.resolve()
  /** `saved` has fulfilled: an answer waiting for it can be given at once, without a promise step. */
  private savedDone = true
  /** Ids of messages that changed the state, with their encoded results; saved with the state. */
  private readonly applied: AppliedIds
  /** The prototype of every turn's ctx (see context). */
  private shared: object | undefined

  constructor(private readonly deps: ActivationDeps) {
    this.mailbox = new Mailbox(deps.mailboxMax)
    this.applied = new AppliedIds(deps.appliedIdsMax, deps.appliedKeepMs, APPLIED_IDS_LIMIT)
    this.closed = new Promise((resolve) => { this.markClosed = resolve })
  }

  get fence(): string {
    return this.deps.fence
  }

  /** No longer takes messages: a new activation must be made for new ones. */
  get closing(): boolean {
    return this.phase === 'closing' || this.phase === 'closed'
  }

  get depth(): number {
    return this.mailbox.size
  }

  start(): void {
    this.running = true
    void this.activate().finally(() => this.settle())
  }

  /** Queues a message; throws MailboxFullError when full. Only called while not closing. */
  enqueue(env: Envelope): void {
    if (!this.mailbox.push(env)) throw new MailboxFullError(this.deps.target.address, this.mailbox.max)
    if (this.phase === 'active') this.pump()
  }

  close(reason: DeactivateReason): void {
    if (this.closing) return
    this.phase = 'closing'
    this.reason = reason
    if (this.idleTimer !== undefined) this.deps.timers.clearTimeout(this.idleTimer)
    const { address } = this.deps.target
    if (reason !== 'idle') this.scope.abort(reason === 'moved' ? new ActorMovedError(address) : new ActorSystemStoppedError('the actor system is stopping'))
    for (const env of this.mailbox.drain()) this.bounce(env)
    if (!this.running) void this.finish()
  }

  private async activate(): Promise<void> {
    await this.deps.previous
    if (this.phase !== 'loading') return
    const { def, target, logger } = this.deps
    try {
      const { record, confirmed } = await this.deps.load(this.scope.signal)
      this.restore(record)
      if (this.closing) return
      if (!this.deps.holds()) return this.close('moved')
      if (def.onActivate !== undefined) await def.onActivate(this.context(new TurnSignal(this.scope.signal, undefined)))
      if (!this.deps.holds()) return this.close('moved')
      // A newest copy that a majority does not hold yet (a save that failed
      // short of the majority) is written back first: nothing is acknowledged
      // on top of a change that a later host could miss.
      await this.commit(undefined, undefined, false, !confirmed)
      this.activated = true
      if (this.phase === 'loading') this.phase = 'active'
    } catch (err) {
      // Closed meanwhile (moved, stopping): the load was given up, and close() sent the messages back already.
      if (this.closing) {
        logger.debug('actor activation abandoned: it closed meanwhile', { address: target.address, reason: this.reason, err: (err as Error)?.message })
        return
      }
      logger.error('actor activation failed', { address: target.address, err: (err as Error)?.message })
      this.phase = 'closing'
      for (const env of this.mailbox.drain()) this.fail(env, err)
    }
  }

  private restore(record: StateRecord | undefined): void {
    if (record === undefined) {
      this.state = this.deps.def.initialState()
      this.bytes = encodeBounded(this.state, this.deps.stateBytesMax, `initial state of actor ${this.deps.target.type}`)
      return
    }
    this.version = record.v
    this.bytes = record.s
    this.state = decode(record.s)
    this.applied.restore(record.d ?? [], this.deps.clock.now())
  }

  private settle(): void {
    this.running = false
    if (this.phase === 'closing') {
      void this.finish()
    } else if (this.phase === 'active') {
      if (this.mailbox.size > 0) return this.pump()
      this.lastActive = this.deps.clock.now()
      this.idleTimer ??= this.deps.timers.setTimeout(() => this.onIdle(), this.deps.idleMs)
    }
  }

  /** One timer per idle period, not one per message: a busy actor only pushes lastActive forward, and the timer re-arms for the rest. */
  private onIdle(): void {
    this.idleTimer = undefined
    if (this.phase !== 'active') return
    const quietMs = this.deps.clock.now() - this.lastActive
    const busy = this.running || this.mailbox.size > 0
    if (!busy && quietMs >= this.deps.idleMs) return this.close('idle')
    this.idleTimer = this.deps.timers.setTimeout(() => this.onIdle(), busy ? this.deps.idleMs : this.deps.idleMs - quietMs)
  }

  private pump(): void {
    if (this.running) return
    this.running = true
    void this.loop().finally(() => this.settle())
  }

  private async loop(): Promise<void> {
    while (this.phase === 'active') {
      const env = this.mailbox.shift()
      if (env === undefined) return
      if (!this.deps.holds()) {
        this.bounce(env)
        return this.close('moved')
      }
      await this.turn(env)
    }
  }

  private async turn(env: Envelope): Promise<void> {
    const { def, target, clock } = this.deps
    const left = env.deadline === undefined ? undefined : env.deadline - clock.now()
    if (left !== undefined && left <= 0) return env.reply?.reject(new TimeoutError(`ask to ${target.address} expired in the mailbox`))
    const done = this.applied.get(env.id)
    if (done !== undefined) return this.answer(env, this.saved, decode(done), true)
    const signal = new TurnSignal(this.scope.signal, left)
    let result: unknown
    try {
      const handler = def.handlers[env.handler]
      if (handler === undefined) throw new Error(`no handler ${env.handler}`)
      const schema = def.inputs?.[env.handler]
      const message = schema === undefined ? decode(env.message) : await validateInput(schema, decode(env.message))
      // Snapshot the result now: the reply may wait for the save, and later
      // turns must not change what this caller sees (a handler may return ctx.state).
      // A handler that returns a plain value is not awaited: its turn goes on without a promise step.
      const out: unknown = handler(this.context(signal), message)
      result = copy(isThenable(out) ? await out : out)
    } catch (err) {
      this.revert()
      if (!this.deps.holds()) return this.bounce(env)
      // A thrown value that is not an Error reaches a local asker as the Error a remote one gets from the wire.
      if (env.reply !== undefined) return env.reply.reject(err instanceof Error ? err : fromErrorShape(toErrorShape(err)))
      return this.deps.logger.warn('actor handler failed on a tell', { address: target.address, handler: env.handler, err: toErrorShape(err).message })
    } finally {
      signal.clear()
    }
    // The partition moved during the turn: its change must not be saved; the sender retries at the new holder.
    if (!this.deps.holds()) {
      this.revert()
      return this.bounce(env)
    }
    let saved: Promise<void>
    try {
      // An answer that does not wait for the save counts as answered at once.
      saved = this.commit(env.id, result, def.replyAfterSave === false)
    } catch (err) {
      this.revert()
      return env.reply?.reject(err)
    }
    if (def.replyAfterSave === false) return env.reply?.resolve(result)
    this.answer(env, saved, result, this.applied.get(env.id) !== undefined)
  }

  /**
   * Settles a message once `saved` settles, if this peer still holds the
   * actor then. Otherwise a new holder may have started from a copy without
   * this change: the message is re-sent (an ask by its sender, a tell by us)
   * rather than reported done, and the applied ids answer the re-send from
   * the record if the change did reach the new holder.
   */
  private answer(env: Envelope, saved: Promise<void>, result: unknown, recorded: boolean): void {
    const { reply } = env
    const settle = (): void => {
      if (!this.deps.holds()) return this.bounce(env)
      if (recorded) this.applied.answered(env.id)
      reply?.resolve(result)
    }
    // The usual read-only turn: the last save is already durable, so the reply leaves in this step.
    if (saved === this.saved && this.savedDone) return settle()
    saved.then(settle, (err: unknown) => {
      if (reply !== undefined) reply.reject(err)
      else this.deps.logger.error('tell not saved', { address: this.deps.target.address, handler: env.handler, err: (err as Error)?.message })
    })
  }

  /**
   * Saves the state if its encoding changed since the last save (or if
   * `force`); returns when it (or, if unchanged, the last save) is durable.
   * A save that fails ends the activation: its memory is then ahead of what
   * a majority holds, so the next message starts a new activation, which
   * reads a majority and writes back what it restores.
   */
  private commit(id?: string, result?: unknown, answered = false, force = false): Promise<void> {
    const { target, stateBytesMax, saver, fence, logger } = this.deps
    const bytes = encodeBounded(this.state, stateBytesMax, `state of actor ${target.address}`)
    if (!force && sameBytes(this.bytes, bytes)) return this.saved
    if (id !== undefined) this.remember(id, result, answered)
    this.bytes = bytes
    const version = ++this.version
    const saved = saver.save({ v: version, f: fence, s: bytes, d: this.applied.list() })
    this.saved = saved
    this.savedDone = false
    // Registered before any answer waits on `saved`, so savedDone is set before those answers run.
    this.durable = saved.then(() => { if (this.saved === saved) this.savedDone = true }, (err: unknown) => {
      logger.error('actor state not saved', { address: target.address, version, err: (err as Error)?.message })
      this.close('moved')
    })
    return saved
  }

  /** Keeps the id and result of a message that changed the state (see AppliedIds for how long). */
  private remember(id: string, result: unknown, answered: boolean): void {
    if (this.deps.appliedIdsMax === 0) return
    let bytes: Uint8Array
    try {
      bytes = encodeBounded(result, APPLIED_RESULT_BYTES_MAX, 'result')
    } catch (err) {
      // Too large or not encodable: a re-send of this message would apply it again.
      this.deps.logger.debug('result not kept for re-sends', { id, err: (err as Error)?.message })
      return
    }
    this.applied.add(id, bytes, answered, this.deps.clock.now())
  }

  private revert(): void {
    this.state = this.bytes === undefined ? this.deps.def.initialState() : decode(this.bytes)
  }

  /** A message this activation will not run: an ask goes back to its sender to retry, a tell is re-sent by us. */
  private bounce(env: Envelope): void {
    if (env.reply !== undefined) env.reply.reject(new ActorMovedError(this.deps.target.address))
    else this.deps.forward(env)
  }

  private fail(env: Envelope, err: unknown): void {
    if (env.reply !== undefined) env.reply.reject(err)
    else this.deps.logger.warn('tell dropped: activation failed', { address: this.deps.target.address, handler: env.handler })
  }

  private async finish(): Promise<void> {
    const { def, target, logger } = this.deps
    try {
      if (this.activated && def.onDeactivate !== undefined) {
        await def.onDeactivate(this.context(new TurnSignal(this.scope.signal, undefined)), this.reason)
        if (this.reason !== 'moved' && this.deps.holds()) await this.commit()
      }
      await this.durable
    } catch (err) {
      logger.error('actor deactivation failed', { address: target.address, reason: this.reason, err: (err as Error)?.message })
    } finally {
      this.phase = 'closed'
      this.deps.onClosed()
      this.markClosed()
    }
  }

  /**
   * The ctx of one turn: an object whose prototype carries what every turn of
   * this activation shares (address, senders, state accessors), built once;
   * only the turn's signal is its own. Handlers read fields as before.
   */
  private context(turn: TurnSignal): ActorContext<unknown> {
    const ctx = Object.create(this.shared ??= this.sharedContext()) as { [TURN]: TurnSignal }
    ctx[TURN] = turn
    return ctx as unknown as ActorContext<unknown>
  }

  private sharedContext(): object {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context's accessors read and write this activation's state
    const self = this
    const { target, fence, logger, senders } = this.deps
    return {
      address: target.address, type: target.type, key: target.key, fence, logger, ...senders,
      get state() { return self.state },
      set state(next) { self.state = next },
      setState(next: unknown) { self.state = next },
      get signal() { return (this as { [TURN]: TurnSignal })[TURN].signal },
    }
  }
}


/** Where a turn's ctx keeps its TurnSignal. */
const TURN = Symbol('turn')

/** The senders an activation's ctx carries. */
export type ActorSenders = { actors: Actors } & Record<string, unknown>
