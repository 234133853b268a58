// The actor system of one peer: defines the types it can host, sends with
// tell/ask (local addresses in-process, others over the Messenger), hosts
// the actors of the partitions this peer holds, and keeps state copies for
// the partitions it would take over. Start after the messenger, stop before.
import { callTimeoutMs } from '../app/validate.js'
import type { PartitionClaims } from '../tasks/claims.js'
import { systemClock, systemTimers, type Clock, type Timers } from '../util/clock.js'
import { silentLogger, type Logger } from '../util/logger.js'
import { systemRandom, type Random } from '../util/random.js'
import type { Messenger, PeerName } from '../wire/messenger.js'
import type { Store } from '../store/store.js'
import { raceDeadline } from '../wire/deadline.js'
import { parseAddress, type ActorAddress } from './address.js'
import { encodeBounded } from './codec.js'
import { CatchUp } from './catch-up.js'
import { CATCH_UP_PAGE_BYTES, CATCH_UP_PAGE_MAX, CHANNEL_DELIVER, CHANNEL_STATE_GET, CHANNEL_STATE_LIST, CHANNEL_STATE_PUT, STATE_DB } from './constants.js'
import type { ActorDefinition, Actors, SendOptions } from './define.js'
import type { ActorSenders } from './activation.js'
import type { Envelope } from './envelope.js'
import { ActorDeadlockError, ActorSystemStoppedError } from './errors.js'
import { ActorHost, type TypeStats } from './host.js'
import { resolveActorLimits, type ActorLimits, type ActorSystemInit } from './options.js'
import type { ActorMeter } from './meter.js'
import type { HolderDirectory, Successors } from './placement.js'
import { Replicas } from './replicas.js'
import { Router } from './router.js'
import { StateStore, stringFenceOrder, type FenceOrder } from './state-store.js'
import { parseDeliver, parseStateGet, parseStateList, parseStatePut, type DeliverReply, type StateGetReply, type StateRecord } from './wire.js'

export interface ActorSystemComponents {
  /** This peer's id, as the messenger and the directory name it. */
  self: PeerName
  messenger: Messenger
  /** Which partitions this peer holds (the lease layer, adapted). */
  claims: PartitionClaims
  /** Who holds the others (a hint). */
  directory: HolderDirectory
  /** Who keeps state copies. */
  successors: Successors
  store: Store
  /** Orders the fences of one partition (earlier tenure first). Default: string order, as the lease layer's fences compare. */
  fenceOrder?: FenceOrder
  clock?: Clock
  timers?: Timers
  random?: Random
  logger?: Logger
  /** Counts accepted messages by actor type; default counts nothing. */
  meter?: ActorMeter
  /** The peers a majority of which must hold every acknowledged state change (the lease voters); see Replicas. */
  quorum?: () => readonly string[]
  /** Extra ctx fields for the actor at `address` (the peer's task sender; `actors` extended with schedule). */
  context?: (address: string, actors: Actors) => Partial<ActorSenders>
}

export class ActorSystem implements Actors {
  readonly limits: ActorLimits
  private readonly c: ActorSystemComponents & { clock: Clock, timers: Timers, logger: Logger }
  private readonly states: StateStore
  private readonly host: ActorHost
  private readonly router: Router
  private readonly catchUp: CatchUp
  private running = false
  /** Message ids are `<prefix>.<counter>`: a random prefix per system, so ids from all senders differ. */
  private readonly idPrefix: string
  private idCounter = 0

  constructor(components: ActorSystemComponents, init: ActorSystemInit) {
    this.limits = resolveActorLimits(init)
    const clock = components.clock ?? systemClock
    const timers = components.timers ?? systemTimers
    const logger = (components.logger ?? silentLogger).child({ component: 'actors' })
    this.c = { ...components, clock, timers, logger }
    const random = components.random ?? systemRandom
    this.idPrefix = [random.next(), random.next()].map(x => Math.floor(x * 36 ** 6).toString(36).padStart(6, '0')).join('')
    const definitions = new Map(init.actors.map(d => [d.type, d as ActorDefinition<unknown>]))
    this.states = new StateStore(components.store.db<StateRecord>(STATE_DB), components.fenceOrder ?? stringFenceOrder)
    const { limits } = this
    this.catchUp = new CatchUp({ self: components.self, messenger: components.messenger, store: this.states, timers, logger, stateBytesMax: limits.stateBytesMax })
    const replicas = new Replicas({
      self: components.self, messenger: components.messenger, successors: components.successors, quorum: components.quorum, logger,
      ready: () => this.catchUp.ready,
      caughtUpWith: () => this.catchUp.caughtUpWith,
      replicas: limits.stateReplicas, replicateTimeoutMs: limits.replicateTimeoutMs, fetchTimeoutMs: limits.stateFetchTimeoutMs, stateBytesMax: limits.stateBytesMax,
    })
    this.host = new ActorHost({
      self: components.self, claims: components.claims, directory: components.directory, definitions, store: this.states, replicas,
      clock, timers, logger, limits, meter: components.meter, sendersFor: address => this.sendersFor(address), forward: (target, env) => this.forward(target, env),
      voters: components.quorum,
    })
    this.router = new Router({
      self: components.self, messenger: components.messenger, claims: components.claims, host: this.host,
      clock, timers, random, limits,
    })
  }

  async start(): Promise<void> {
    if (this.running) return
    const { messenger } = this.c
    messenger.handle(CHANNEL_DELIVER, (_from, body) => this.onDeliver(body))
    messenger.handle(CHANNEL_STATE_PUT, async (_from, body) => {
      const { target, record } = parseStatePut(body, this.limits.stateBytesMax)
      await this.states.put(target.address, record)
      return { ok: 1 }
    })
    messenger.handle(CHANNEL_STATE_GET, (_from, body): StateGetReply => {
      const r = this.states.get(parseStateGet(body).address)
      // Still catching up: the copy holds what reached it under the current voter set, maybe not what came before.
      if (!this.catchUp.ready) return { wait: 1, c: 1, r }
      const set = this.catchUp.caughtUpWith
      return set === undefined ? { r } : { r, k: set }
    })
    messenger.handle(CHANNEL_STATE_LIST, (_from, body) => this.states.page(parseStateList(body).after, CATCH_UP_PAGE_MAX, CATCH_UP_PAGE_BYTES))
    this.host.start()
    this.running = true
  }

  /**
   * Deactivates every actor ('stop': signals abort, onDeactivate runs, state is
   * saved and replicated), then leaves the channels. Waits at most `timeoutMs`
   * (default askTimeoutMs) for handlers to settle; past it, the rest is
   * abandoned with a warning.
   */
  async stop(options: SendOptions = {}): Promise<void> {
    if (!this.running) return
    this.running = false
    const timeoutMs = callTimeoutMs(options.timeoutMs, this.limits.askTimeoutMs)
    await raceDeadline(this.host.stop(), timeoutMs, options.signal, 'stopping the actor system', this.c.timers).catch((err: unknown) => {
      this.c.logger.warn('actors did not all stop in time', { err: (err as Error).message })
    })
    this.catchUp.stop()
    for (const ch of [CHANNEL_DELIVER, CHANNEL_STATE_PUT, CHANNEL_STATE_GET, CHANNEL_STATE_LIST]) this.c.messenger.unhandle(ch)
  }

  async tell(address: string, handler: string, message?: unknown, options: SendOptions = {}): Promise<void> {
    await this.send(address, handler, message, options, false)
  }

  // Not async: the router's promise is returned as is (one promise step less per ask); send never throws.
  ask<R = unknown>(address: string, handler: string, message?: unknown, options: SendOptions = {}): Promise<R> {
    return this.send(address, handler, message, options, true) as Promise<R>
  }

  /**
   * The lease voters are now `voters`. A peer that becomes a voter of a new
   * set pulls every saved state from a majority of the earlier set, starting
   * `settleMs` after the change (when no tenure of the earlier set is left),
   * and answers state reads only once done (see CatchUp).
   */
  votersChanged(voters: readonly string[], settleMs: number): void {
    this.catchUp.votersChanged(voters, settleMs)
  }

  /** Per actor type on this peer: activations and queued messages now, messages accepted since start (for metrics). */
  stats(): Record<string, TypeStats> {
    return this.host.stats()
  }

  /** Activations on this peer now. */
  get activations(): number {
    return Object.values(this.host.stats()).reduce((n, s) => n + s.activations, 0)
  }

  // Not async until the router's first await: the first try happens before send returns, keeping order.
  private send(address: string, handler: string, message: unknown, options: SendOptions, ask: boolean): Promise<unknown> {
    try {
      if (!this.running) throw new ActorSystemStoppedError()
      const target = parseAddress(address)
      this.host.check(target, handler)
      const bytes = encodeBounded(message, this.limits.messageBytesMax, `message to ${address} ${handler}`)
      const deadline = this.c.clock.now() + callTimeoutMs(options.timeoutMs, this.limits.askTimeoutMs)
      return this.router.send({ id: `${this.idPrefix}.${(this.idCounter++).toString(36)}`, target, handler, message: bytes, ask }, deadline, options.signal)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private onDeliver(body: unknown): DeliverReply | Promise<DeliverReply> {
    const { target, handler, message, waitMs, id } = parseDeliver(body, this.limits.messageBytesMax)
    const act = this.host.place(target, handler)
    if (act === undefined) {
      const hint = this.host.hint(this.c.claims.partitionOf(target.address))
      return hint === undefined ? { nh: 1 } : { nh: 1, hint }
    }
    const env: Envelope = { id, handler, message }
    if (waitMs === undefined) {
      this.host.deliver(target, act, env)
      return { ok: 1 }
    }
    env.deadline = this.c.clock.now() + waitMs
    // The reply body is built where the result arrives. A turn that answers
    // within deliver (a plain handler result, the last save durable) is
    // returned as is: the reply frame is written from the read loop, with no
    // promise step.
    let early: { r: DeliverReply } | { err: unknown } | undefined
    let later: { resolve: (r: DeliverReply) => void, reject: (err: unknown) => void } | undefined
    env.reply = {
      resolve: (r) => { if (later === undefined) early = { r: { r } }; else later.resolve({ r }) },
      reject: (err) => { if (later === undefined) early = { err }; else later.reject(err) },
    }
    this.host.deliver(target, act, env)
    const answered = early as { r: DeliverReply } | { err: unknown } | undefined
    if (answered !== undefined) {
      if ('err' in answered) throw answered.err
      return answered.r
    }
    return new Promise<DeliverReply>((resolve, reject) => { later = { resolve, reject } })
  }

  private sendersFor(address: string): ActorSenders {
    const actors: Actors = {
      tell: (to, handler, message, options) => this.tell(to, handler, message, options),
      ask: <R>(to: string, handler: string, message?: unknown, options?: SendOptions) =>
        to === address ? Promise.reject(new ActorDeadlockError(address)) : this.ask<R>(to, handler, message, options),
    }
    return { actors, ...this.c.context?.(address, actors) }
  }

  /** Re-sends a tell that was queued here when its actor moved away; best effort within askTimeoutMs. */
  private forward(target: ActorAddress, env: Envelope): void {
    const deadline = this.c.clock.now() + this.limits.askTimeoutMs
    this.router.send({ id: env.id, target, handler: env.handler, message: env.message, ask: false }, deadline, undefined).catch((err: unknown) => {
      this.c.logger.warn('queued tell lost while its actor moved', { address: target.address, handler: env.handler, err: (err as Error)?.message })
    })
  }
}
