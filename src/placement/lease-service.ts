// The lease shell: drives the pure LeaseNode with the clock and one timer,
// carries its messages over the Messenger, writes its persisted state to the
// store before any later effect, and serves the result to tasks and actors as
// PartitionClaims. Placement hints come from membership (balanced rendezvous
// over the live peers, src/lease/balance.ts).

import { EventEmitter } from 'node:events'
import {
  LEASE_CHANNEL, LEASE_CONFIG_CHANNEL, LEAVE_GRACE_MS, LeaseNode, majority, partitionOf, placementOf, type Placement,
  type Effect, type LeaseParams, type PersistedState,
} from '../lease/index.js'
import type { Store } from '../store/store.js'
import type { Clock, TimerHandle, Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Random } from '../util/random.js'
import type { Messenger } from '../wire/messenger.js'
import type { ClaimsChange, HolderDirectory, PartitionClaims, PartitionGrant, Successors } from './claims.js'
import { noLeaseMeter, type LeaseMeter } from './meter.js'

export interface LeaseServiceComponents {
  self: string
  messenger: Messenger
  store: Store
  clock: Clock
  timers: Timers
  random: Random
  logger: Logger
  /** Counts rounds, acquisitions and losses; default counts nothing. */
  meter?: LeaseMeter
}

export interface LeaseServiceInit {
  params?: Partial<LeaseParams>
  /** Create voter config 1 = {self}: only the first peer of a new cluster (started without seeds, with no lease state). */
  bootstrap: boolean
  /** This peer id has never run before; without it, a start with no lease state is treated as a lost disk. */
  fresh: boolean  /** Every seed given named this peer itself (and was dropped): without bootstrap and lease state, a warning says why no cluster starts. */
  selfSeedOnly?: boolean
}

export interface LeaseStatus {
  cfg: number
  voters: string[]
  voter: boolean
  held: Array<{ partition: number, fence: string, validForMs: number }>
  /** The proposer's inner state, for diagnosing a peer that holds nothing (read it in a fault run's status files). */
  proposer?: LeaseDiagnostics
}

export interface LeaseDiagnostics {
  /** Partitions by proposer phase (idle, preparing, proposing, holding). */
  phases: Record<string, number>
  /** Partitions whose renewal is lapsing (a nack ended it). */
  lapsing: number
  /** ms until this node may grant or acquire after a restart or a new config (0: ready). */
  readyInMs: number
  /** How far round time is stretched after timeouts (1: not at all). */
  roundScale: number
  /** Propose rounds waiting for replies. */
  openRounds: number
  /** Other peers the placement view counts alive (self excluded). */
  othersAlive: number
  /** Recovering its ballot floor after a disk loss. */
  recovering: boolean
  /** A config change is sealing the current config. */
  sealing: boolean
  /** Times this peer's lease timer fired a renewal interval (M/3) or more late: the process was starved or stalled. */
  stalls: number
  /** The longest of those, in ms (0: none). */
  worstStallMs: number
}

/** At most one stall warning per this many ms; the warning counts the stalls it stands for. */
export const STALL_WARN_INTERVAL_MS = 30_000

const STATE_KEY = 'state'

/**
 * Lease parameters for a chosen term M: renew every M/3, give a round half of
 * that, tick at least that often. Explicit `params` fields win.
 */
export function leaseParamsFor(leaseMs: number | undefined, params: Partial<LeaseParams> = {}): Partial<LeaseParams> {
  if (leaseMs === undefined) return params
  const renewIntervalMs = Math.floor(leaseMs / 3)
  return {
    leaseMs,
    renewIntervalMs,
    roundTimeoutMs: Math.floor(renewIntervalMs / 2),
    tickMaxMs: Math.min(500, renewIntervalMs),
    ...params,
  }
}

export class LeaseService implements PartitionClaims, HolderDirectory, Successors {
  readonly partitions: number
  private readonly c: LeaseServiceComponents
  private readonly meter: LeaseMeter
  private readonly node: LeaseNode
  private readonly init: LeaseServiceInit
  private readonly grants = new Map<number, PartitionGrant>()
  private readonly events = new EventEmitter<{ change: [ClaimsChange], voters: [readonly string[]] }>()
  private config = { cfg: 0, voters: [] as string[], voter: false }
  private alive: string[] = []
  /** Peers alive and not leaving, as the last hint said, sorted. */
  private workers: string[] = []
  /** Members that announced their leave, as the last hint said. */
  private leaving = new Set<string>()
  /** The placement over `workers`, kept until they change: asks look a holder up on every send. */
  private placement: Placement | undefined
  private timer: TimerHandle | undefined
  private running = false
  private readonly stalls = { count: 0, worstMs: 0, unreported: 0, worstUnreportedMs: 0, warnedAt: -Infinity }

  constructor(components: LeaseServiceComponents, init: LeaseServiceInit) {
    this.c = components
    this.meter = components.meter ?? noLeaseMeter
    this.init = init
    this.node = new LeaseNode({ id: components.self, random: components.random, params: init.params })
    this.partitions = this.node.state.params.partitions
    this.alive = [components.self]
    this.workers = [components.self]
  }

  start(): void {
    if (this.running) return
    this.running = true
    const onMessage = (from: string, body: unknown): void => { this.feed({ type: 'message', from, body }) }
    this.c.messenger.on(LEASE_CHANNEL, onMessage)
    this.c.messenger.on(LEASE_CONFIG_CHANNEL, onMessage)
    const persisted = this.c.store.db<PersistedState>('lease').get(STATE_KEY)
    const bootstrap = this.init.bootstrap && persisted === undefined
    if (bootstrap) this.c.logger.info('bootstrapping a new cluster: this peer is the first voter')
    else if (persisted === undefined && this.init.selfSeedOnly === true) {
      this.c.logger.warn('the only seed is this peer itself and it has no lease state: it does not start a new cluster on its own (were its store lost, that would split the cluster it was in); start it once with no seed to start a new cluster, give it a seed of another member, or give every peer of a new cluster the same list naming them all')
    }
    this.feed({ type: 'boot', persisted, bootstrap, fresh: this.init.fresh && persisted === undefined })
  }

  /**
   * Releases held partitions and asks the others to take this peer out of the
   * voter set; waits up to `graceMs` for both (a voter that leaves without
   * waiting is replaced only after it is seen dead).
   */
  async stop(graceMs = LEAVE_GRACE_MS): Promise<void> {
    if (!this.running) return
    this.feed({ type: 'leave' })
    const deadline = this.c.clock.now() + graceMs
    while ((this.grants.size > 0 || this.stillVoting()) && this.c.clock.now() < deadline) {
      await new Promise<void>(resolve => { this.c.timers.setTimeout(resolve, 20) })
    }
    this.running = false
    if (this.timer !== undefined) this.c.timers.clearTimeout(this.timer)
    this.c.messenger.unhandle(LEASE_CHANNEL)
    this.c.messenger.unhandle(LEASE_CONFIG_CHANNEL)
    for (const p of [...this.grants.keys()]) this.dropGrant(p)
  }

  /**
   * A voter among others whose vote they need: the voters up and staying (as membership last said) are no
   * majority without it, so they take it out of the set before it goes. Otherwise it goes at once, and stays a
   * voter: one restarted within configStableMs changes no set. Nor does it wait in a stop of the cluster (a
   * majority of the voters leaving): nobody takes a voter out then.
   */
  private stillVoting(): boolean {
    const { voter, voters } = this.config
    if (!voter || voters.length <= 1) return false
    const needed = majority(voters.length)
    const leaving = voters.filter(v => v === this.c.self || this.leaving.has(v)).length
    const staying = voters.filter(v => v !== this.c.self && this.workers.includes(v)).length
    return leaving < needed && staying < needed
  }

  /** Membership's view of who is alive and who is leaving (a hint, never a quorum). */
  hint(alive: string[], leaving: string[]): void {
    const sorted = [...alive].sort()
    if (sorted.length !== this.alive.length || sorted.some((id, i) => id !== this.alive[i])) this.alive = sorted
    const gone = new Set(leaving)
    this.leaving = gone
    const workers = sorted.filter(id => !gone.has(id))
    if (workers.length !== this.workers.length || workers.some((id, i) => id !== this.workers[i])) {
      this.workers = workers
      this.placement = undefined
    }
    if (this.running) this.feed({ type: 'hint', alive, leaving })
  }

  partitionOf(key: string): number {
    return partitionOf(key, this.partitions)
  }

  held(p: number): PartitionGrant | undefined {
    // The node's Holding as is (read only, the same object while the tenure is): no copy per call.
    return this.node.holding(p, this.c.clock.now())
  }

  onChange(listener: (event: ClaimsChange) => void): () => void {
    this.events.on('change', listener)
    return () => { this.events.off('change', listener) }
  }

  holderOf(p: number): string | undefined {
    if (this.grants.has(p) && this.held(p) !== undefined) return this.c.self
    // The holder our acceptor granted, when it is a live other; else the desired owner (where placement heads).
    const seen = this.node.acceptedHolder(p, this.c.clock.now())
    if (seen !== undefined && seen !== this.c.self && this.alive.includes(seen)) return seen
    return this.placed().owner(p)
  }

  private placed(): Placement {
    return (this.placement ??= placementOf(this.workers, this.partitions))
  }

  /** Called with the new voter set each time this peer learns one (first at start, from its disk or from a peer). */
  onVoters(listener: (voters: readonly string[]) => void): () => void {
    this.events.on('voters', listener)
    return () => { this.events.off('voters', listener) }
  }

  /** How long a new voter set waits before granting anything: every tenure of the previous set has ended by then. */
  get settleMs(): number {
    return this.node.state.params.restartWaitMs
  }

  /** The current voter set (as this peer last learned it). */
  voters(): readonly string[] {
    return this.config.voters
  }

  successorsOf(p: number, count: number): string[] {
    return this.placed().order(p).filter(id => id !== this.c.self).slice(0, count)
  }

  /**
   * The lease config this peer has: the running protocol's once started, else the one it stored when it last ran
   * (0: none). What it tells the other members, from before its first membership exchange.
   */
  cfg(): number {
    if (this.running) return this.config.cfg
    return this.c.store.db<PersistedState>('lease').get(STATE_KEY)?.cfg ?? 0
  }

  /** Founds a new cluster (LeaseEvent 'found': ignored once this peer has, or had, a config); the peer decides when. */
  found(): void {
    if (!this.running) return
    this.c.logger.info('founding a new cluster: this peer is the first voter (the smallest id of the shared seed list)')
    this.feed({ type: 'found' })
  }

  status(): LeaseStatus {
    const now = this.c.clock.now()
    const held: LeaseStatus['held'] = []
    for (const p of this.grants.keys()) {
      const h = this.node.holding(p, now)
      if (h !== undefined) held.push({ partition: p, fence: h.fence, validForMs: Math.round(h.validUntil - now) })
    }
    return { ...this.config, voters: [...this.config.voters], held, proposer: this.diagnostics(now) }
  }

  private diagnostics(now: number): LeaseDiagnostics {
    const st = this.node.state
    const phases: Record<string, number> = {}
    let lapsing = 0
    for (const slot of st.slots) {
      phases[slot.phase] = (phases[slot.phase] ?? 0) + 1
      if (slot.lapsing) lapsing++
    }
    return {
      phases, lapsing, readyInMs: Math.max(0, Math.round(st.readyAt - now)), roundScale: st.roundScale, openRounds: st.rounds.size,
      othersAlive: st.view.aliveSince.size, recovering: st.recovery !== undefined, sealing: st.cAccepted !== undefined,
      stalls: this.stalls.count, worstStallMs: Math.round(this.stalls.worstMs),
    }
  }

  private feed(event: Parameters<LeaseNode['step']>[0]): void {
    let effects: Effect[]
    const seq = this.node.state.seq
    try {
      effects = this.node.step(event, this.c.clock.now())
    } catch (err) {
      // An invariant of the protocol broke: crash loudly rather than risk two holders.
      this.c.logger.error('lease invariant violated', { err: (err as Error).message, event: event.type })
      throw err
    }
    // The proposer numbers its rounds; the step's rounds are the difference (loopback rounds of a lone voter included).
    if (this.node.state.seq > seq) {
      this.meter.rounds(this.node.state.seq - seq)
      let entries = 0
      for (let n = seq + 1; n <= this.node.state.seq; n++) entries += this.node.state.rounds.get(n)?.entries.size ?? 0
      this.meter.proposed(entries)
    }
    for (const e of effects) this.apply(e)
  }

  private apply(e: Effect): void {
    switch (e.type) {
      case 'send':
        this.c.messenger.send(e.to, e.channel, e.message).catch((err: unknown) => {
          this.c.logger.debug('lease message not sent', { to: e.to, err: (err as Error).message })
        })
        return
      case 'persist':
        // Synchronous and durable before any later effect of the same step.
        this.c.store.db<PersistedState>('lease').putSync(STATE_KEY, e.state)
        return
      case 'acquired':
        this.grants.set(e.partition, { fence: e.fence, validUntil: e.validUntil })
        this.meter.acquired()
        this.c.logger.debug('partition acquired', { partition: e.partition, fence: e.fence })
        this.events.emit('change', { type: 'acquired', partition: e.partition, fence: e.fence })
        return
      case 'renewed':
        this.grants.set(e.partition, { fence: e.fence, validUntil: e.validUntil })
        return
      case 'lost':
        this.c.logger.debug('partition lost', { partition: e.partition, fence: e.fence, reason: e.reason })
        this.meter.lost(e.reason)
        this.dropGrant(e.partition)
        return
      case 'config':
        this.config = { cfg: e.cfg, voters: [...e.voters], voter: e.voter }
        this.c.logger.info('lease voters changed', { cfg: e.cfg, voters: e.voters, voter: e.voter })
        this.events.emit('voters', [...e.voters])
        return
      case 'timer':
        this.schedule(e.at)
        return
      case 'invalid':
        this.c.logger.warn('dropped an invalid lease message', { from: e.from, reason: e.reason })
        return
    }
  }

  private dropGrant(p: number): void {
    if (!this.grants.delete(p)) return
    this.events.emit('change', { type: 'lost', partition: p })
  }

  private schedule(at: number): void {
    if (!this.running) return
    if (this.timer !== undefined) this.c.timers.clearTimeout(this.timer)
    const now = this.c.clock.now()
    const due = Math.max(at, now)
    this.timer = this.c.timers.setTimeout(() => {
      this.timer = undefined
      if (!this.running) return
      this.noteLateness(this.c.clock.now() - due)
      this.feed({ type: 'tick' })
    }, due - now)
  }

  /**
   * A timer that fires a renewal interval late means this process did not run
   * for that long (CPU starvation, a long GC, a SIGSTOP): held leases renew
   * late and lapse once the stall nears the term. Says so, rate-limited, since
   * otherwise the only sign is partitions moving for no visible reason.
   */
  private noteLateness(lateMs: number): void {
    const { leaseMs, renewIntervalMs } = this.node.state.params
    if (lateMs < renewIntervalMs) return
    const s = this.stalls
    s.count++
    s.worstMs = Math.max(s.worstMs, lateMs)
    s.unreported++
    s.worstUnreportedMs = Math.max(s.worstUnreportedMs, lateMs)
    const now = this.c.clock.now()
    if (now - s.warnedAt < STALL_WARN_INTERVAL_MS) return
    this.c.logger.warn('this process was stalled: held leases renew late and may lapse (give it more CPU, or raise --lease-ms)', {
      stalls: s.unreported, worstMs: Math.round(s.worstUnreportedMs), leaseMs, renewIntervalMs,
    })
    s.warnedAt = now
    s.unreported = 0
    s.worstUnreportedMs = 0
  }
}
