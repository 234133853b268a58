// The node as a pure state machine: `step(event, now)` returns the effects
// the shell must carry out, in order. No I/O, no clock, no timers here; the
// shell feeds local monotonic time and carries messages over a Messenger.

import type { Random } from '../util/random.js'
import { adoptConfig, crossesConfig, onConfig } from './adopt.js'
import { floorBallot } from './ballot.js'
import { onPrepare, onPropose, onRelease } from './acceptor.js'
import { assert } from './assert.js'
import { onCfgAccept, onCfgAccepted, onCfgPrepare, onCfgPromise, tickConfig } from './cpaxos.js'
import { LeaseLostError } from './errors.js'
import { isVoter, sendAll } from './io.js'
import type { Message } from './messages.js'
import { resolveLeaseParams, type LeaseParams } from './params.js'
import { holdFallbackUntilReady, onAccepted, onPromise, tickPartitions } from './proposer.js'
import { onFloorQuery, onFloorReply, startRecovery, tickRecovery } from './recovery.js'
import { emptyAcceptorSlot, idleSlot, type Ctx, type NodeState } from './state.js'
import type { Effect, LeaseEvent, PersistedState, UnsafeKnobs } from './types.js'
import { validateMessage } from './validate.js'
import { nextWake, updateView } from './view.js'

export interface LeaseNodeInit {
  id: string
  random: Random
  params?: Partial<LeaseParams>
  /** Test-only broken variants (mutation controls). Never set in production. */
  unsafe?: UnsafeKnobs
}

export interface Holding {
  readonly partition: number
  readonly fence: string
  readonly validUntil: number
}

const LOOPBACK_MAX = 64

export class LeaseNode {
  readonly state: NodeState
  /** The last Holding handed out per partition (holding() returns it again while it is still the same). */
  private readonly holdings: Array<Holding | undefined> = []

  constructor(init: LeaseNodeInit) {
    const params = resolveLeaseParams(init.params)
    this.state = {
      id: init.id, params, unsafe: { ...init.unsafe }, random: init.random, booted: false,
      config: { cfg: 0, voters: [] }, readyAt: 0, floor: { cfg: 0, n: 0 }, amnesic: false,
      acc: Array.from({ length: params.partitions }, emptyAcceptorSlot),
      slots: Array.from({ length: params.partitions }, () => idleSlot(0)),
      nSeen: 0, propReserved: 0, roundScale: 1, seq: 0, rounds: new Map(),
      view: { aliveSince: new Map(), deadSince: new Map(), leaving: new Set(), changedAt: 0, leavingChangedAt: 0 },
      leaving: false, wakeAt: 0, cSealedAt: 0, cNSeen: 0, cRetryAt: 0,
    }
  }

  /** Feeds one event at local time `now`; returns the effects to carry out in order. */
  step(event: LeaseEvent, now: number): Effect[] {
    const ctx: Ctx = { s: this.state, now, out: [], loopback: [] }
    assert(event.type === 'boot' || this.state.booted, 'the first event is boot')
    const s = this.state
    this.dispatch(ctx, event)
    this.drainLoopback(ctx)
    if (!s.booted) return ctx.out
    // A steady stream of messages must not starve timer work: if the wake-up
    // we asked for is past, do the tick now.
    const ticked = event.type !== 'message'
    if (!ticked && now >= s.wakeAt) {
      tick(ctx)
      this.drainLoopback(ctx)
    }
    const next = nextWake(s, now)
    s.wakeAt = ticked || now >= s.wakeAt ? next : Math.min(s.wakeAt, next)
    ctx.out.push({ type: 'timer', at: s.wakeAt })
    return ctx.out
  }

  private drainLoopback(ctx: Ctx): void {
    for (let i = 0; i < ctx.loopback.length; i++) {
      assert(i < LOOPBACK_MAX, 'loopback does not loop')
      this.dispatch(ctx, { type: 'message', from: this.state.id, body: ctx.loopback[i]!.body })
    }
    ctx.loopback.length = 0
  }

  /** The tenure this node trusts at `now`, if any. Check it right before every side effect. */
  holding(partition: number, now: number): Holding | undefined {
    const slot = this.state.slots[partition]
    if (!slot || slot.phase !== 'holding' || now >= slot.validUntil) return undefined
    // Asked several times per task started: the same object while the tenure and its renewal stay the same.
    const last = this.holdings[partition]
    if (last !== undefined && last.fence === slot.fence && last.validUntil === slot.validUntil) return last
    return this.holdings[partition] = { partition, fence: slot.fence!, validUntil: slot.validUntil }
  }

  /**
   * A hint, never a claim: the node whose lease on `partition` this node's acceptor accepted and still honours at
   * `now` (a voter sees most grants; a non-voter none). Placement moves make the hash-ranked owner a poor guess.
   */
  acceptedHolder(partition: number, now: number): string | undefined {
    const a = this.state.acc[partition]?.accepted
    return a !== undefined && now < a.expiresAt ? a.b.by : undefined
  }

  /** Like holding(), but throws LeaseLostError: for guarding a side effect. */
  assertHolding(partition: number, now: number): Holding {
    const h = this.holding(partition, now)
    if (!h) throw new LeaseLostError(`partition ${partition} is not held by ${this.state.id}`)
    return h
  }

  private dispatch(ctx: Ctx, event: LeaseEvent): void {
    switch (event.type) {
      case 'boot': return boot(ctx, event.persisted, event.bootstrap === true, event.fresh === true)
      case 'hint': updateView(ctx.s, event.alive, event.leaving, ctx.now); return tick(ctx)
      case 'leave': ctx.s.leaving = true; return tick(ctx)
      case 'found': return found(ctx)
      case 'tick': return tick(ctx)
      case 'message': return receive(ctx, event.from, event.body)
    }
  }
}

function boot(ctx: Ctx, persisted: PersistedState | undefined, bootstrap: boolean, fresh: boolean): void {
  const s = ctx.s
  assert(!s.booted, 'boot once')
  s.booted = true
  s.slots = s.slots.map(() => idleSlot(ctx.now))
  s.view.changedAt = ctx.now
  s.view.leavingChangedAt = ctx.now
  // Never reuse a ballot of an earlier run: its grants may still be live.
  if (persisted?.propN !== undefined) s.nSeen = s.propReserved = persisted.propN
  if (persisted && persisted.cfg > 0) {
    s.config = { cfg: persisted.cfg, voters: [...persisted.voters] }
    s.floor = persisted.floorCfg === persisted.cfg ? { cfg: persisted.cfg, n: persisted.floorN } : { cfg: persisted.cfg, n: 0 }
    for (const a of s.acc) a.promised = floorBallot(s.floor.n)
    if (persisted.cPromised) s.cPromised = { ...persisted.cPromised }
    if (persisted.cAccepted) s.cAccepted = { b: { n: persisted.cAccepted.n, by: persisted.cAccepted.by }, voters: [...persisted.cAccepted.voters] }
    if (persisted.abstainCfg !== undefined) s.amnesicCfg = persisted.abstainCfg
    s.cSealedAt = ctx.now
    if (persisted.recovering) startRecovery(ctx)
    s.readyAt = s.unsafe.noRestartWait ? ctx.now : ctx.now + s.params.restartWaitMs
    for (const slot of s.slots) holdFallbackUntilReady(s, slot)
    // The shell learns the config it restarted with (status, and a voter's wait to leave on stop).
    ctx.out.push({ type: 'config', cfg: s.config.cfg, voters: [...s.config.voters], voter: isVoter(s) })
  } else if (bootstrap) {
    adoptConfig(ctx, { cfg: 1, voters: [s.id] })
  } else if (!fresh) {
    s.amnesic = true
  }
}

/**
 * Founds a new cluster after boot (see LeaseEvent 'found'). A node without a config that never promised or accepted
 * one has nothing to forget; it may have booted amnesic (a peer id made before its first start, with an empty store),
 * but no cluster exists for it to have been in (the shell checked that every peer it names has no config), so it
 * founds as a bootstrap peer does.
 */
function found(ctx: Ctx): void {
  const s = ctx.s
  if (!s.booted || s.config.cfg !== 0 || s.cPromised !== undefined || s.cAccepted !== undefined || s.leaving) return
  s.amnesic = false
  delete s.amnesicCfg
  adoptConfig(ctx, { cfg: 1, voters: [s.id] })
}

function tick(ctx: Ctx): void {
  const s = ctx.s
  if (s.config.cfg === 0) {
    if (ctx.now >= s.cRetryAt) {
      s.cRetryAt = ctx.now + s.params.configRetryMs
      sendAll(ctx, [...s.view.aliveSince.keys()], { t: 'floor-query', rid: 0 })
    }
    return
  }
  tickRecovery(ctx)
  tickConfig(ctx)
  tickPartitions(ctx)
}

function receive(ctx: Ctx, from: string, body: unknown): void {
  const v = validateMessage(body, ctx.s.params.partitions)
  if (!v.ok) {
    ctx.out.push({ type: 'invalid', from, reason: v.reason })
    return
  }
  if (crossesConfig(ctx, from, v.message)) return
  handle(ctx, from, v.message)
}

function handle(ctx: Ctx, from: string, msg: Message): void {
  switch (msg.t) {
    case 'prepare': return onPrepare(ctx, from, msg)
    case 'promise': return onPromise(ctx, from, msg)
    case 'propose': return onPropose(ctx, from, msg)
    case 'accepted': return onAccepted(ctx, from, msg)
    case 'release': return onRelease(ctx, from, msg)
    case 'config': return onConfig(ctx, from, msg)
    case 'cfg-prepare': return onCfgPrepare(ctx, from, msg)
    case 'cfg-promise': return onCfgPromise(ctx, from, msg)
    case 'cfg-accept': return onCfgAccept(ctx, from, msg)
    case 'cfg-accepted': return onCfgAccepted(ctx, from, msg)
    case 'floor-query': return onFloorQuery(ctx, from, msg)
    case 'floor-reply': return onFloorReply(ctx, from, msg)
  }
}


