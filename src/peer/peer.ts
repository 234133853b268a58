// A Troupe peer: assembles the store, the libp2p node, the messenger, the
// membership protocol and the HTTP server, in that order, and stops them in
// reverse. Each part is handed only the components it uses.

import { EventEmitter } from 'node:events'
import type { App } from '../app/app.js'
import { defineApp } from '../app/app.js'
import { resolveConfig, type PeerConfig } from '../config/config.js'
import { ConfigError } from '../errors.js'
import { createHttpApp, listen, protectRoutes, type HttpApp, type HttpAuth, type Listening } from '../http/index.js'
import { resolveMembershipOptions } from '../membership/options.js'
import { Membership } from '../membership/service.js'
import { loadOrCreateIdentity } from '../net/identity.js'
import { createNode, type TroupeNode } from '../net/node.js'
import { FaultSwitch, faultRoutes } from '../net/fault-switch.js'
import type { CpuPool } from '../workers/pool.js'
import { cpuPoolFor, httpAuth } from './parts.js'
import { connectionProtector } from '../net/secret.js'
import { nextIncarnation, openStore, type Store } from '../store/store.js'
import { lastRunCrashed, markRunStarted, markRunStopped } from '../store/runs.js'
import { crashWatch } from './crash-watch.js'
import { systemClock, systemTimers, type Clock, type Timers, type WallClock } from '../util/clock.js'
import { createLogger, type Logger } from '../util/logger.js'
import { systemRandom, type Random } from '../util/random.js'
import { VERSION } from '../version.js'
import { Libp2pMessenger } from '../wire/index.js'
import { actorMeter, countFrame, createMetrics, leaseMeter, registerOps, taskMeter, type Metrics } from '../ops/index.js'
import { libp2pAddressBook } from './address-book.js'
import { otherSeeds, SeedJoiner, seedPeerIds } from './seeds.js'
import { Founder } from './founding.js'
import { Work } from './work.js'
import type { PeerActors } from './context.js'
import type { TaskServiceInit } from '../tasks/index.js'
import type { TaskControl } from '../http/task-routes.js'
import { taskRoutes } from '../http/task-routes.js'
import { dashboardRoutes } from '../dashboard/index.js'
import './context.js'
import { LeaseService, leaseParamsFor } from '../placement/lease-service.js'
import type { LeaseParams } from '../lease/index.js'
import { summarize, type MemberSummary, type PeerStatus } from './status.js'
import { scopeController } from '../util/abort.js'

import type { Peer, PeerEvents, PeerInit } from './types.js'

export type { Peer, PeerEvents, PeerInit } from './types.js'

export async function createPeer(init: PeerInit = {}): Promise<Peer> {
  const config = resolveConfig(init)
  const app = init.app ?? defineApp()
  const rootLogger = init.logger ?? createLogger({ level: config.logLevel, pretty: config.prettyLogs })
  const membershipOptions = resolveMembershipOptions(config.membership)
  const cpu = cpuPoolFor(app, init, rootLogger)
  const auth = httpAuth(config, init)
  const cleanup: Array<() => Promise<void>> = []
  try {
    const store = await openStore(config.dataDir, { freeBytesMin: config.storeFreeBytesMin, timers: init.timers, logger: rootLogger.child({ part: 'store' }) })
    cleanup.push(() => store.close())
    const identity = await loadOrCreateIdentity(config.dataDir)
    const privateKey = identity.key
    const incarnation = await nextIncarnation(store)
    const crashed = lastRunCrashed(store)
    const faults = init.faults === true ? new FaultSwitch() : undefined
    const node = await createNode({
      connectionGater: faults?.gater,
      privateKey,
      listen: config.listen,
      announce: config.announce,
      connectionProtector: init.secret === undefined ? undefined : await connectionProtector(init.secret),
    })
    cleanup.push(async () => { await node.stop() })
    faults?.attach(node)
    const logger = rootLogger.child({ peer: node.peerId.toString() })
    await startNode(node, config)
    // A seed list shared by every peer names each one too: dialling itself would never answer, and a peer whose
    // only seed is itself would never start a cluster. Such seeds are dropped; see `bootstrap` below.
    const seeds = otherSeeds(config.seeds, node.peerId.toString())
    if (seeds.length < config.seeds.length) logger.info('a seed names this peer itself: not dialled', { seeds: config.seeds.filter(s => !seeds.includes(s)) })
    const onlySelf = config.seeds.length > 0 && seeds.length === 0
    const parts = { selfSeedOnly: onlySelf, listed: seedPeerIds(config.seeds), auth, cpu, faults, store, node, logger, incarnation, processMetrics: init.processMetrics ?? false, freshIdentity: identity.created, open: init.secret === undefined, lease: init.lease ?? {}, tasks: crashWatch(crashed, init.tasks ?? {}, rootLogger), clock: init.clock ?? systemClock, timers: init.timers ?? systemTimers, random: init.random ?? systemRandom }
    const peer = new TroupePeer(seeds.length === config.seeds.length ? config : { ...config, seeds }, app, parts, membershipOptions)
    try {
      await peer.start()
    } catch (err) {
      cleanup.length = 0
      await peer.stop().catch((stopErr: unknown) => {
        rootLogger.warn('stopping after a failed start failed too', { err: (stopErr as Error).message })
      })
      throw err
    }
    return peer
  } catch (err) {
    for (const c of cleanup.reverse()) {
      await c().catch((cleanupErr: unknown) => {
        rootLogger.warn('cleanup after a failed start failed too', { err: (cleanupErr as Error).message })
      })
    }
    throw err
  }
}

async function startNode(node: TroupeNode, config: PeerConfig): Promise<void> {
  try {
    await node.start()
  } catch (err) {
    const message = (err as Error).message
    const inUse = /EADDRINUSE|address already in use/i.test(message)
    throw new ConfigError(inUse
      ? `cannot listen on ${config.listen.join(', ')}: the port is in use`
      : `cannot listen on ${config.listen.join(', ')}: ${message}`, { cause: err })
  }
}

interface Parts {
  /** Every seed given named this peer itself (dropped from config.seeds). */
  selfSeedOnly: boolean
  /** The peer ids the seeds as given name (this peer's own included when named): founding a cluster looks at them. */
  listed: string[]
  auth: HttpAuth
  cpu: CpuPool | undefined
  faults: FaultSwitch | undefined
  processMetrics: boolean
  /** The peer id was created by this start: it has never run before. */
  freshIdentity: boolean
  /** No cluster secret: anyone who reaches the peer can join. */
  open: boolean
  lease: Partial<LeaseParams>
  store: Store
  node: TroupeNode
  logger: Logger
  incarnation: number
  clock: Clock & WallClock
  timers: Timers
  random: Random
  tasks: TaskServiceInit
}

class TroupePeer extends EventEmitter<PeerEvents> implements Peer {
  readonly config: PeerConfig
  readonly http: HttpApp
  readonly incarnation: number
  readonly metrics: Metrics
  private readonly app: App
  private readonly p: Parts
  private readonly messenger: Libp2pMessenger
  private readonly membership: Membership
  private readonly seeds: SeedJoiner
  /** Which partitions this peer holds; tasks and actors run only where their partition is held. */
  readonly leases: LeaseService
  private readonly work: Work
  private readonly startedAt: number
  private server: Listening | undefined
  private started = false
  /** Founds a cluster from a seed list shared by every peer (founding.ts). */
  private readonly founder: Founder
  /** Fires when the peer begins to stop: running actions see it as ctx.signal. */
  private readonly stopSignal = scopeController()
  private stopping: Promise<void> | undefined

  constructor(config: PeerConfig, app: App, parts: Parts, membershipOptions: ReturnType<typeof resolveMembershipOptions>) {
    super()
    this.config = config
    this.app = app
    this.p = parts
    this.incarnation = parts.incarnation
    this.startedAt = parts.clock.now()
    this.metrics = createMetrics({ processMetrics: parts.processMetrics })
    this.metrics.trackMembers(() => this.members())
    this.messenger = new Libp2pMessenger({
      node: parts.node,
      logger: parts.logger.child({ part: 'wire' }),
      onFrame: (direction, bytes) => { countFrame(this.metrics, direction, bytes) },
    })
    this.membership = new Membership({
      messenger: this.messenger,
      clock: parts.clock,
      timers: parts.timers,
      random: parts.random,
      logger: parts.logger.child({ part: 'membership' }),
      addressBook: libp2pAddressBook(parts.node, parts.logger),
    }, {
      id: parts.node.peerId.toString(),
      incarnation: parts.incarnation,
      heartbeat: 0,
      status: 'alive',
      addrs: this.multiaddrs.map(a => a.replace(/\/p2p\/[^/]+$/, '')),
      httpUrl: null,
      hosts: { actors: app.actors.map(a => a.type), tasks: app.tasks.map(t => t.name) },
      version: VERSION,
    }, membershipOptions)
    this.leases = new LeaseService({
      self: this.id,
      messenger: this.messenger,
      store: parts.store,
      clock: parts.clock,
      timers: parts.timers,
      random: parts.random,
      logger: parts.logger.child({ part: 'lease' }),
      meter: leaseMeter(this.metrics),
    }, {
      // The very first start of the very first peer: started with no seed. Not with only itself as seed: a peer can
      // name itself only with an identity made before, and a store lost under a kept identity would then start a
      // second cluster beside the one it was in.
      bootstrap: config.seeds.length === 0 && !parts.selfSeedOnly,
      selfSeedOnly: parts.selfSeedOnly,
      fresh: parts.freshIdentity, params: leaseParamsFor(config.leaseMs, voterReplace(config.voterReplaceAfterMs, parts.lease)) })
    this.work = new Work({
      self: this.id,
      node: parts.node,
      messenger: this.messenger,
      store: parts.store,
      leases: this.leases,
      clock: parts.clock,
      timers: parts.timers,
      random: parts.random,
      logger: parts.logger,
      members: () => this.liveIds(),
      cpu: parts.cpu,
      meters: { tasks: taskMeter(this.metrics), actors: actorMeter(this.metrics) },
    }, app, { tasks: parts.tasks })
    // Members learn each other's lease config from the membership records: a shared seed list founds a cluster only
    // once every peer it names says it has none (src/peer/founding.ts). Stored before the first exchange, so that a
    // restarted member never says 0 for a moment.
    this.membership.updateSelf({ cfg: this.leases.cfg() })
    this.leases.onVoters(() => {
      const cfg = this.leases.cfg()
      if (cfg !== this.membership.selfRecord.cfg) this.membership.updateSelf({ cfg })
    })
    this.founder = new Founder({
      self: this.id,
      listed: parts.listed,
      members: () => this.membership.members().map(m => ({ id: m.record.id, alive: m.state === 'alive', cfg: m.record.cfg })),
      cfg: () => this.leases.cfg(),
      found: () => { this.leases.found() },
      logger: parts.logger,
    })
    this.metrics.trackLeases(() => this.leases.status().held.length)
    this.metrics.trackActors(() => this.work.actors.stats())
    this.seeds = new SeedJoiner({
      node: parts.node,
      logger: parts.logger.child({ part: 'seeds' }),
      contact: id => this.membership.contact(id),
      joined: () => this.membership.members().some(m => !m.self && m.state === 'alive'),
      alive: id => this.membership.members().some(m => m.record.id === id && m.state === 'alive'),
    }, config.seeds)
    this.http = createHttpApp({
      actions: app.actions,
      middleware: app.middleware,
      peer: { id: this.id },
      status: () => this.status(),
      logger: parts.logger.child({ part: 'http' }),
      version: VERSION,
      signal: this.stopSignal.signal,
      // The same object for every call (src/http/run.ts puts its fields on the contexts' prototype).
      fields: this.work.senders,
      extend: hono => {
        registerOps(hono, { actions: app.actions, version: VERSION, title: app.name, metrics: this.metrics })
        protectRoutes(hono, parts.auth)
        taskRoutes(hono, this.work.tasks, { logger: parts.logger.child({ part: 'http' }) })
        if (parts.faults !== undefined) faultRoutes(hono, parts.faults)
        dashboardRoutes(hono, { status: () => this.status(), tasks: this.work.tasks, actors: () => this.work.actors.stats(), partitions: this.leases.partitions, tasksFinished: () => this.work.tasks.counts.finished, clock: parts.clock, timers: parts.timers, signal: this.stopSignal.signal })
      },
    })
    for (const event of ['member:join', 'member:update', 'member:suspect', 'member:recover', 'member:dead', 'member:leave'] as const) {
      this.membership.on(event, member => {
        if (event !== 'member:update') this.hintLeases()
        if (this.started && !member.self && (event === 'member:join' || event === 'member:update' || event === 'member:recover')) this.founder.consider()
        // A peer that (re)joins or comes back from a partition may have missed tasks, or hold ones we missed.
        if ((event === 'member:join' || event === 'member:recover') && !member.self) this.work.tasks.catchUp(member.record.id)
        // Reports of "all" tasks sent to a member that is gone go to the tasks' next settler.
        if ((event === 'member:dead' || event === 'member:leave') && !member.self) this.work.tasks.memberGone(member.record.id)
        this.emit(event, member)
      })
    }
  }

  get actors(): PeerActors {
    return this.work.senders.actors
  }

  get tasks(): TaskControl {
    return this.work.tasks
  }

  private liveIds(): string[] {
    return this.membership.members().filter(m => m.state === 'alive' || m.state === 'suspect').map(m => m.record.id)
  }

  get id(): string {
    return this.p.node.peerId.toString()
  }

  get multiaddrs(): string[] {
    return this.p.node.getMultiaddrs().map(a => a.toString())
  }

  get httpUrl(): string | null {
    return this.server?.url ?? null
  }

  async start(): Promise<void> {
    // Bind HTTP first: a port in use stops the start before any protocol has run.
    if (this.config.http !== null) {
      this.server = await listen(this.http, { port: this.config.http.port, host: this.config.http.host })
      this.membership.updateSelf({ httpUrl: this.server.url })
    }
    await this.messenger.start()
    this.membership.start()
    this.leases.start()
    this.hintLeases()
    await this.work.start()
    // A peer that connects to us is (almost always) a member: exchange views at once.
    this.p.node.addEventListener('peer:connect', this.onConnect)
    this.seeds.start()
    await markRunStarted(this.p.store)
    this.started = true
    this.founder.consider()
    if (this.p.open) {
      this.p.logger.warn('the cluster is open: anyone who can reach this peer can join; set a cluster secret (TROUPE_CLUSTER_SECRET or --secret-file)')
    }
    if (this.p.auth.adminToken === undefined) {
      this.p.logger.warn(this.p.auth.loopback
        ? 'admin routes (/tasks, Retry and Cancel) have no token: served because HTTP listens on loopback only; set TROUPE_ADMIN_TOKEN or --admin-token-file'
        : 'admin routes (/tasks, Retry and Cancel) are refused (403): HTTP listens beyond loopback and no admin token is set (TROUPE_ADMIN_TOKEN or --admin-token-file)')
    }
    this.p.logger.info('peer started', { addrs: this.multiaddrs, http: this.httpUrl, incarnation: this.incarnation, app: this.app.name })
  }

  private readonly onConnect = (evt: CustomEvent<{ toString(): string }>): void => {
    const id = evt.detail.toString()
    if (this.membership.members().some(m => m.record.id === id && m.state === 'alive')) return
    this.membership.contact(id).catch((err: unknown) => {
      this.p.logger.debug('membership exchange with a new connection failed', { peer: id, err: (err as Error).message })
    })
  }

  /** Tells the lease protocol who looks alive and who is leaving: a hint for placement, never a quorum. */
  private hintLeases(): void {
    const alive: string[] = []
    const leaving: string[] = []
    for (const m of this.membership.members()) {
      // A suspect is not a placement target: a peer that takes over a silent holder's partitions keeps them
      // instead of handing them back until the holder is declared dead (leases stay safe either way).
      if (m.state === 'alive') alive.push(m.record.id)
      else if (m.state === 'left') leaving.push(m.record.id)
    }
    this.leases.hint(alive, leaving)
  }

  activity(): { tasksRunning: number, actorsActive: number } {
    const { started, finished } = this.work.tasks.counts
    return { tasksRunning: started - finished, actorsActive: this.work.actors.activations }
  }

  members(): MemberSummary[] {
    const now = this.p.clock.now()
    return this.membership.members().map(m => summarize(m, now))
  }

  status(): PeerStatus {
    return {
      peer: { id: this.id, incarnation: this.incarnation, addrs: this.multiaddrs, httpUrl: this.httpUrl },
      app: this.app.name,
      version: VERSION,
      uptimeMs: Math.round(this.p.clock.now() - this.startedAt),
      members: this.members(),
      leases: this.leases.status(),
      tasks: this.work.tasks.status(),
      ...(this.founder.waiting === undefined ? {} : { founding: this.founder.waiting }),
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  private async shutdown(): Promise<void> {
    if (this.started) this.p.logger.info('peer stopping')
    this.stopSignal.abort(new Error('the peer is stopping'))
    this.p.node.removeEventListener('peer:connect', this.onConnect)
    await this.seeds.stop()
    await this.server?.close()
    await this.work.stop(this.config.stopTimeoutMs)
    // Before the lease layer stops: if the voters need this peer's vote to take it out, it can still give it.
    await this.membership.leave()
    await this.leases.stop()
    await this.membership.stop()
    await this.messenger.stop()
    await this.p.node.stop()
    // A start that failed leaves the marker as the last run left it.
    if (this.started) await markRunStopped(this.p.store)
    await this.p.store.close()
    if (this.started) this.p.logger.info('peer stopped')
  }
}

/** The configured dead-voter replacement time, unless the lease params set it themselves. */
function voterReplace(ms: number | undefined, params: Partial<LeaseParams>): Partial<LeaseParams> {
  return ms === undefined ? params : { voterDeadReplaceMs: ms, ...params }
}
