// The activations this peer hosts. A message is accepted only for a partition
// this peer holds now (with an unexpired lease); each address has at most one
// activation here, and the lease gives each partition at most one holder, so
// an actor runs on one peer at a time. Losing a partition closes its
// activations as 'moved'.
import type { PartitionClaims } from '../tasks/claims.js'
import { pause, type Clock, type Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { Activation, type ActorSenders } from './activation.js'
import type { ActorAddress } from './address.js'
import type { ActorDefinition, DeactivateReason } from './define.js'
import type { Envelope } from './envelope.js'
import { STATE_READ_RETRY_MAX_MS, STATE_READ_RETRY_MS } from './constants.js'
import { ActorStateUnavailableError, UnknownActorError, UnknownHandlerError } from './errors.js'
import type { ActorLimits } from './options.js'
import { noActorMeter, type ActorMeter } from './meter.js'
import type { HolderDirectory } from './placement.js'
import type { ReadState, Replicas } from './replicas.js'
import { Saver } from './saver.js'
import type { StateStore } from './state-store.js'

export interface HostDeps {
  self: string
  claims: PartitionClaims
  directory: HolderDirectory
  definitions: ReadonlyMap<string, ActorDefinition<unknown>>
  store: StateStore
  replicas: Replicas
  clock: Clock
  timers: Timers
  logger: Logger
  limits: ActorLimits
  /** ctx.actors for the actor at `address`. */
  /** The ctx senders of the actor at `address` (its ask refuses itself). */
  sendersFor: (address: string) => ActorSenders
  forward: (target: ActorAddress, env: Envelope) => void
  /** The lease voters (as in the system's quorum): who to ask where a partition is held when the directory names this peer. */
  voters?: () => readonly string[]
  /** Counts accepted messages by actor type; default counts nothing. */
  meter?: ActorMeter
}

export interface TypeStats {
  activations: number
  mailboxDepth: number
  /** Messages accepted into mailboxes on this peer since start (a counter). */
  messages: number
}

export class ActorHost {
  private readonly active = new Map<string, Activation>()
  private readonly byPartition = new Map<number, Set<string>>()
  /** Per actor type: messages accepted since start, and the metrics counter (fetched once). */
  private readonly accepted = new Map<string, { messages: number, count: () => void }>()
  private unsubscribe: (() => void) | undefined
  private open = false
  /** Which voter hint() names next when this peer is where placement heads but holds nothing yet. */
  private nextVoter = 0

  constructor(private readonly deps: HostDeps) {
    const meter = deps.meter ?? noActorMeter
    for (const type of deps.definitions.keys()) this.accepted.set(type, { messages: 0, count: meter.messages(type) })
  }

  start(): void {
    this.open = true
    this.unsubscribe = this.deps.claims.onChange((event) => {
      if (event.type === 'lost') this.closePartition(event.partition, 'moved')
    })
  }

  /** Closes every activation ('stop': onDeactivate runs and state is saved and replicated) and waits for them. */
  async stop(): Promise<void> {
    this.open = false
    this.unsubscribe?.()
    const closing = [...this.active.values()]
    for (const a of closing) a.close('stop')
    await Promise.all(closing.map(a => a.closed))
  }

  /** Checks the type and handler; throws UnknownActorError or UnknownHandlerError. */
  check(target: ActorAddress, handler: string): void {
    const def = this.deps.definitions.get(target.type)
    if (def === undefined) throw new UnknownActorError(target.type)
    if (!Object.hasOwn(def.handlers, handler)) throw new UnknownHandlerError(target.type, handler)
  }

  /**
   * The activation that takes messages for `target` now, or undefined if
   * this peer does not hold its partition (see `hint`). A sender builds its
   * envelope (and an ask's reply promise) only when the actor is here, then
   * passes it to `deliver` in the same synchronous step, so messages from one
   * sender keep their order. Throws the errors of `check`.
   */
  place(target: ActorAddress, handler: string): Activation | undefined {
    this.check(target, handler)
    if (!this.open) return undefined
    const { claims, clock } = this.deps
    const p = claims.partitionOf(target.address)
    const grant = claims.held(p)
    if (grant === undefined || clock.now() >= grant.validUntil) return undefined
    let act = this.active.get(target.address)
    if (act !== undefined && act.fence !== grant.fence) act.close('moved')
    if (act === undefined || act.closing) act = this.activate(target, p, grant.fence, act)
    return act
  }

  /** Queues `env` into the activation `place` returned. Throws MailboxFullError. */
  deliver(target: ActorAddress, act: Activation, env: Envelope): void {
    act.enqueue(env)
    const counted = this.accepted.get(target.type)
    if (counted !== undefined) {
      counted.messages++
      counted.count()
    }
  }

  /** Who else may hold partition p, per the directory. */
  hint(p: number): string | undefined {
    const h = this.deps.directory.holderOf(p)
    if (h !== this.deps.self) return h
    // Placement heads here, but this peer does not hold p (yet): a voter knows who does (its acceptor granted the
    // lease) and answers with that hint. Taken in turn, so that one voter out of reach does not stall every message.
    const voters = this.deps.voters?.().filter(v => v !== this.deps.self) ?? []
    return voters.length === 0 ? undefined : voters[this.nextVoter++ % voters.length]
  }

  /** Per actor type: activations and queued messages now, messages accepted since start. */
  stats(): Record<string, TypeStats> {
    const out: Record<string, TypeStats> = {}
    for (const type of this.deps.definitions.keys()) out[type] = { activations: 0, mailboxDepth: 0, messages: this.accepted.get(type)?.messages ?? 0 }
    for (const [address, a] of this.active) {
      const s = out[address.slice(0, address.indexOf('/'))]
      if (s === undefined) continue
      s.activations++
      s.mailboxDepth += a.depth
    }
    return out
  }

  private activate(target: ActorAddress, p: number, fence: string, previous: Activation | undefined): Activation {
    const { deps } = this
    const def = deps.definitions.get(target.type) as ActorDefinition<unknown>
    const logger = deps.logger.child({ actor: target.address })
    const act: Activation = new Activation({
      def, target, fence, logger,
      holds: () => {
        const g = deps.claims.held(p)
        return g !== undefined && g.fence === fence && deps.clock.now() < g.validUntil
      },
      load: signal => this.read(p, target.address, signal),
      saver: new Saver(target.address, p, deps.store, deps.replicas, logger),
      senders: deps.sendersFor(target.address),
      clock: deps.clock,
      timers: deps.timers,
      idleMs: def.idleMs ?? deps.limits.idleMs,
      mailboxMax: def.mailboxMax ?? deps.limits.mailboxMax,
      stateBytesMax: deps.limits.stateBytesMax,
      appliedIdsMax: deps.limits.appliedIdsMax,
      // Re-sends come within the sender's deadline; twice the default leaves room for longer ones.
      appliedKeepMs: 2 * deps.limits.askTimeoutMs,
      forward: env => deps.forward(target, env),
      previous: previous?.closed ?? Promise.resolve(),
      onClosed: () => this.forget(target.address, p, act),
    })
    this.active.set(target.address, act)
    let set = this.byPartition.get(p)
    if (set === undefined) this.byPartition.set(p, set = new Set())
    set.add(target.address)
    act.start()
    return act
  }

  /**
   * The newest saved state, read again while too few voters can answer (out
   * of reach, or all catching up after a voter-set change; replicas.ts): the
   * activation's messages wait in its mailbox rather than fail at once. Gives
   * up after askTimeoutMs, or when the activation closes (`signal`).
   */
  private async read(p: number, address: string, signal: AbortSignal): Promise<ReadState> {
    const { replicas, store, clock, timers, limits } = this.deps
    const giveUpAt = clock.now() + limits.askTimeoutMs
    for (let attempt = 0; ; attempt++) {
      try {
        // The local copy is read again each time: a catch-up may have brought a newer one meanwhile.
        return await replicas.read(p, address, store.get(address), store.order)
      } catch (err) {
        const ms = Math.min(STATE_READ_RETRY_MAX_MS, STATE_READ_RETRY_MS * 2 ** Math.min(attempt, 20))
        if (!(err instanceof ActorStateUnavailableError) || signal.aborted || clock.now() + ms >= giveUpAt) throw err
        await pause(timers, ms, signal)
        if (signal.aborted) throw err
      }
    }
  }

  private forget(address: string, p: number, act: Activation): void {
    if (this.active.get(address) !== act) return
    this.active.delete(address)
    const set = this.byPartition.get(p)
    set?.delete(address)
    if (set?.size === 0) this.byPartition.delete(p)
  }

  private closePartition(p: number, reason: DeactivateReason): void {
    for (const address of [...this.byPartition.get(p) ?? []]) this.active.get(address)?.close(reason)
  }
}
