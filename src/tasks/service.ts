// The TaskService: wires the store, gossip, sync, replication, the runner
// and periodic scheduling to the components it is given, and offers the
// public operations (enqueue, get, list, cancel, retry, delete, pause).
import { validateInput } from '../app/validate.js'
import { ConfigError, UnavailableError } from '../errors.js'
import type { Store } from '../store/store.js'
import { scopeController, type AbortOptions } from '../util/abort.js'
import type { Clock, TimerHandle, Timers, WallClock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Random } from '../util/random.js'
import type { Messenger } from '../wire/messenger.js'
import type { TaskPubSub } from './bus.js'
import type { PartitionClaims } from './claims.js'
import { CHANNEL_PUSH, TASKS_TOPIC, WIRE_VERSION } from './constants.js'
import type { TaskDefinition } from './define.js'
import { checkMany, checkOne, type EnqueueItem, type EnqueueManyOptions, type EnqueueOptions } from './enqueue.js'
import { TaskNotFoundError, TaskStateError, UnknownTaskError } from './errors.js'
import { compactRecords } from './compact.js'
import { GossipOut } from './gossip.js'
import { GossipIn } from './gossip-in.js'
import { noTaskMeter, type TaskMeter } from './meter.js'
import { resolveInit, type TaskLimits, type TaskServiceInit } from './options.js'
import type { CommitMode } from './commit.js'
import { Periodic, type Occurrence } from './periodic.js'
import { indexDefinitions } from './definitions.js'
import { isFinished, newRecord, type TaskRecord } from './record.js'
import { servePush, type PushBody, type PushDeps } from './push.js'
import { Spread } from './spread.js'
import { awayPartitions, endOfTurn, PutBatcher } from './replicate.js'
import { AllReports } from './report.js'
import { isAllNews } from './settler.js'
import { TaskStore, type TaskList, type TaskOverview, type TaskQuery } from './store.js'
import { Background } from './background.js'
import { Runner, type RunnerStatus } from './runner.js'
import { serveSync, syncWith, type SyncDeps, type SyncOptions, type SyncResult } from './sync.js'
import { SyncRounds } from './sync-rounds.js'
import { Submitter } from './submit.js'
import { cancelRecord, deleteRecord, retryRecord, type Actor } from './transitions.js'

export { INPUT_BYTES_MAX, type EnqueueItem, type EnqueueManyOptions, type EnqueueOptions, type TaskOptions } from './enqueue.js'


export interface TaskServiceComponents {
  store: Store
  messenger: Messenger
  pubsub: TaskPubSub
  clock: Clock & WallClock
  timers: Timers
  random: Random
  logger: Logger
  claims: PartitionClaims
  /** Live peer ids (a hint; may include self). */
  members: () => readonly string[]
  self: string
  /** Extra fields for every task's ctx (the peer passes its actor and task senders). */
  context?: () => object
  /** Counts task events, gossip and sync for metrics; default counts nothing. */
  meter?: TaskMeter
  /** Who probably holds partition p (a hint): a new task's replica put goes there first, so it also reaches where it runs. */
  holderOf?: (p: number) => string | undefined
}

export interface StopOptions extends AbortOptions {
  /** How long running tasks may take to finish before they are aborted; default stopDeadlineMs. */
  deadlineMs?: number
}

/** `GET /status`'s `tasks`: what this peer's runner is doing and how many records are still open here. */
export type TaskServiceStatus = RunnerStatus & { open: number, started: number, finished: number, storeCommit: CommitMode }

export class TaskService {
  readonly limits: TaskLimits
  private readonly definitions: ReadonlyMap<string, TaskDefinition>
  private readonly tasks: TaskStore
  private readonly gossip: GossipOut
  private readonly submit: Submitter
  private readonly runner: Runner
  private readonly periodic: Periodic
  private readonly syncDeps: SyncDeps
  private readonly pushDeps: PushDeps
  private readonly spread: Spread
  private readonly logger: Logger
  private readonly meter: TaskMeter
  private readonly inbound: GossipIn
  private readonly reports: AllReports
  private readonly cleanups: Array<() => void> = []
  private readonly background: Background
  private collecting = false
  private collectTimer: TimerHandle | undefined
  private readonly rounds: SyncRounds
  private scope = scopeController()
  private state: 'new' | 'started' | 'stopped' = 'new'

  constructor(private readonly c: TaskServiceComponents, definitions: readonly TaskDefinition[], init: TaskServiceInit = {}) {
    this.limits = resolveInit(init)
    this.logger = c.logger.child({ component: 'tasks' })
    this.background = new Background(this.logger)
    const meter = this.meter = c.meter ?? noTaskMeter
    this.definitions = indexDefinitions(definitions, this.limits)
    this.tasks = new TaskStore(c.store, id => c.claims.partitionOf(id), c.claims.partitions, () => c.clock.wallNow(), { settleMs: this.limits.syncSettleMs, now: () => c.clock.now(), timers: c.timers, commit: this.limits.storeCommit })
    const l = this.limits
    this.gossip = new GossipOut(c.pubsub, c.timers, c.clock, this.logger, {
      topic: TASKS_TOPIC, coalesceMs: l.gossipCoalesceMs, lazyMs: l.gossipLazyMs, deferMs: l.gossipDeferMs, bytesMax: l.gossipBytesMax, messagesPerSecond: l.gossipMessagesPerSecond, queueMax: l.gossipQueueMax,
      onPublished: bytes => meter.gossip('out', bytes),
    })
    this.inbound = new GossipIn({
      partitions: c.claims.partitions, meter, logger: this.logger,
      members: c.members,
      // What arrived by gossip has gone to everyone: our own copies waiting to be gossiped that it covers need not go.
      merge: (records) => {
        this.gossip.supersede(records)
        this.accept(records)
      },
    })
    // An "all" task's attempts go to its settler only, and the settled record from there to every member (report.ts).
    this.reports = new AllReports({
      self: c.self, members: c.members, latest: id => this.tasks.latest(id), timers: c.timers, logger: this.logger,
      windowMs: l.allReportMs, bytesMax: l.gossipBytesMax,
      send: (to, records) => c.messenger.send(to, CHANNEL_PUSH, { v: WIRE_VERSION, ...compactRecords(records) } satisfies PushBody, { signal: this.scope.signal }),
      fallback: records => this.gossip.push(records, true),
    })
    this.runner = new Runner({
      store: this.tasks, definitions: this.definitions, claims: c.claims, clock: c.clock, timers: c.timers, logger: this.logger,
      self: c.self, members: c.members, concurrency: l.concurrency, taskTimeoutMs: l.taskTimeoutMs,
      spread: (rs) => { for (const r of rs) if (r.scope === 'all') this.reports.spread(r); else this.spread.outcome(r) },
      context: c.context, meter, startsAtOnceUntil: l.startsAtOnceMs > 0 ? c.clock.now() + l.startsAtOnceMs : undefined, allEndLazyMs: l.allReportMs,
    })
    this.submit = new Submitter({
      self: c.self, clock: c.clock, timers: c.timers, random: c.random, claims: c.claims, members: c.members, holderOf: c.holderOf, limits: l,
      tasks: this.tasks, batcher: new PutBatcher(c.messenger, () => c.clock.now(), endOfTurn, (_peer, records) => { this.missedHolder(records) }), gossip: this.gossip, runner: this.runner, meter,
      pushAll: records => { this.spread.toMembers(records) },
    })
    this.periodic = new Periodic({
      definitions: [...this.definitions.values()], claims: c.claims, clock: c.clock, timers: c.timers, logger: this.logger,
      ensure: (def, o) => this.ensureOccurrence(def, o),
    })
    this.pushDeps = { messenger: c.messenger, logger: this.logger, self: c.self, members: c.members, partitions: c.claims.partitions }
    this.spread = new Spread(this.gossip, this.pushDeps, this.background, this.scope.signal)
    this.syncDeps = {
      store: this.tasks, messenger: c.messenger, logger: this.logger, partitions: c.claims.partitions, partitionOf: id => c.claims.partitionOf(id),
      pageRecords: l.syncPageRecords, retentionMs: l.retentionMs, timeoutMs: l.enqueueTimeoutMs,
    }
    this.rounds = new SyncRounds({
      self: c.self, members: c.members, random: c.random, timers: c.timers, logger: this.logger, background: this.background,
      syncWith: (peer, options) => this.syncWith(peer, options), release: partitions => this.runner.release(partitions), signal: this.scope.signal,
      syncIntervalMs: l.syncIntervalMs, syncSettleMs: l.syncSettleMs, handoverSyncMs: l.handoverSyncMs,
    })
  }

  /** Attempts started and finished on this peer. */
  get counts(): { started: number, finished: number } {
    return { ...this.runner.counts }
  }

  /** The runner's state and the records still open here, for /status. */
  status(): TaskServiceStatus {
    let open = 0
    for (const r of this.tasks.activeRecords()) if (!r.deleted && (r.state === 'pending' || r.state === 'running')) open++
    return { ...this.runner.status(), open, ...this.counts, storeCommit: this.limits.storeCommit }
  }

  /**
   * Starts no new attempt on this peer until resume(), as a worker's pause does: attempts under way end as usual,
   * tasks keep arriving, and this peer keeps the partitions it holds, so their "any" tasks wait (stop the peer to
   * hand them over).
   */
  pause(): void {
    this.runner.pause()
  }

  resume(): void {
    this.runner.resume()
  }

  get paused(): boolean {
    return this.runner.status().paused
  }

  async start(): Promise<void> {
    if (this.state === 'started') return
    if (this.state === 'stopped') throw new UnavailableError('a stopped task service cannot be restarted; build a new one')
    for (const def of this.definitions.values()) {
      if (def.frequencyMs === undefined && def.cron === undefined) continue
      await validateInput(def.input, def.periodicInput).catch((err: unknown) => {
        throw new ConfigError(`task ${def.name}: periodicInput does not pass the input schema: ${(err as Error).message}`)
      })
    }
    this.state = 'started'
    this.tasks.load()
    const { c } = this
    // A put is acked once flushed to disk, not just committed: the ack is what makes an enqueue durable.
    // A put may carry new tasks for partitions held here: they start on receipt, before this peer's own commit.
    // The answer names the partitions of its new "any" tasks not held here: a put meant for their holder missed it
    // (placement moved), and the sender gossips them now rather than after gossipDeferMs.
    this.cleanups.push(serveSync(this.syncDeps, (records) => this.background.guard((async () => {
      const away = awayPartitions(records, p => this.c.claims.held(p) !== undefined)
      this.runner.offer(records)
      await this.tasks.merge(records, this.limits.retentionMs)
      await this.tasks.flushed()
      return away
    })())))
    // "All" tasks, new ones, reports to their settler and settled records from there (isAllNews): nothing waits for
    // their commit here, so they may wait allReportMs to share a commit with other writes. Cancels and deletes do not.
    this.cleanups.push(servePush(this.pushDeps, (records, _from, all) => {
      if (all) this.gossip.supersede(records)
      this.accept(records, records.every(isAllNews) ? this.limits.allReportMs : 0)
    }))
    // The validator runs before delivery: a rejected message is never merged, forwarded or kept.
    if (c.pubsub.validate !== undefined) this.cleanups.push(c.pubsub.validate(TASKS_TOPIC, (data, author, via) => this.inbound.judge(data, author, via)))
    this.cleanups.push(c.pubsub.onMessage((topic, data, from) => { if (topic === TASKS_TOPIC) this.inbound.receive(data, from) }))
    c.pubsub.subscribe(TASKS_TOPIC)
    this.cleanups.push(() => c.pubsub.unsubscribe(TASKS_TOPIC))
    this.cleanups.push(this.tasks.onChange(changes => {
      this.runner.onChanges(changes)
      this.reports.onChanges(changes)
    }))
    this.cleanups.push(c.claims.onChange(e => {
      if (e.type === 'lost') return this.runner.onLost(e.partition)
      this.runner.hold(e.partition)
      this.periodic.onAcquired(e.partition)
      this.rounds.acquired(e.partition)
    }))
    this.armCollect()
    this.periodic.start()
    this.runner.pump()
    this.rounds.start()
  }

  /** Stops claiming work, lets running tasks finish up to the deadline, aborts the rest, flushes gossip. */
  async stop(options: StopOptions = {}): Promise<void> {
    if (this.state !== 'started') {
      this.state = 'stopped'
      return
    }
    this.state = 'stopped'
    this.periodic.stop()
    this.rounds.stop()
    if (this.collectTimer !== undefined) this.c.timers.clearTimeout(this.collectTimer)
    this.collectTimer = undefined
    await this.runner.stop(options.deadlineMs ?? this.limits.stopDeadlineMs, options.signal)
    await this.reports.stop()
    this.scope.abort(new UnavailableError('task service stopped'))
    await this.gossip.stop()
    for (const f of this.cleanups.splice(0)) f()
    await this.background.settled()
    // Writes still queued (a settle, a late merge) commit before the store can close; later ones are refused.
    await this.tasks.close()
  }

  /**
   * Validates, stores and replicates a task; resolves with its id once
   * `min(replicas, live others)` other peers hold it durably. Rejects with
   * UnknownTaskError, ValidationError (422), NotReplicatedError (503: the
   * task is stored here and still spreads; retry with the same key), or the
   * signal's reason.
   */
  async enqueue(name: string, input: unknown, options: EnqueueOptions = {}): Promise<string> {
    if (!this.definitions.has(name)) throw new UnknownTaskError(name)
    this.checkStarted()
    const checked = await checkOne(this.definitions, name, input, options)
    const [id] = await this.submit.store([checked], options)
    return id as string
  }

  /**
   * Enqueues a batch (at most ENQUEUE_MANY_ITEMS_MAX tasks, inputs of at most
   * ENQUEUE_MANY_BYTES_MAX together) with one local commit and one put per
   * replica; resolves with the ids, in item order, once every task is
   * durable as `enqueue` defines it. Every item is checked first: a bad one
   * rejects the whole batch with a ValidationError naming each bad item by
   * index, and nothing is stored. Items with the same name and idempotency
   * key are the same task (the first item's input wins) and get the same id.
   * NotReplicatedError (503) lists the ids not yet acked; those tasks are
   * stored here and still spread, so retrying with the same keys is safe.
   */
  async enqueueMany(items: readonly EnqueueItem[], options: EnqueueManyOptions = {}): Promise<string[]> {
    this.checkStarted()
    const checked = await checkMany(this.definitions, items)
    return this.submit.store(checked, options)
  }

  /** The record with its attempts, as this peer knows it; undefined if unknown or deleted. */
  get(id: string): TaskRecord | undefined {
    const r = this.tasks.get(id)
    return r === undefined || r.deleted ? undefined : r
  }

  list(query: TaskQuery = {}): TaskRecord[] {
    return this.tasks.list(query)
  }

  /** As `list`, and whether the read stopped at LIST_SCAN_RECORDS stored records before `limit` matched. */
  listPage(query: TaskQuery = {}): TaskList {
    return this.tasks.listPage(query)
  }

  /** Counts by state and the `rows` records written and failed last on this peer, without reading the whole store. */
  overview(rows: number): TaskOverview {
    return this.tasks.overview(rows)
  }

  /** Cancels a pending or running task; the running handler's signal fires on its peer. */
  async cancel(id: string): Promise<TaskRecord> {
    return this.control(id, r => !isFinished(r), 'only a pending or running task can be cancelled', cancelRecord)
  }

  /** Runs a failed or cancelled task again, with a fresh count of attempts. */
  async retry(id: string): Promise<TaskRecord> {
    return this.control(id, r => !r.deleted && (r.state === 'failed' || r.state === 'cancelled'), 'only a failed or cancelled task can be retried', retryRecord)
  }

  /** Deletes a task in any state (a running handler is aborted); the tombstone is collected after the retention. */
  async delete(id: string): Promise<TaskRecord> {
    return this.control(id, r => !r.deleted, 'the task is already deleted', deleteRecord)
  }

  /** One sync exchange with `peer` now (the service also syncs on its own); `fresh` partitions are compared in full, as they are now. */
  async syncWith(peer: string, options: SyncOptions = {}): Promise<SyncResult> {
    try {
      const r = await syncWith(this.syncDeps, peer, options)
      this.meter.sync(true, r.pulled, r.pushed)
      return r
    } catch (err) {
      this.meter.sync(false, 0, 0)
      throw err
    }
  }

  private async control(id: string, allowed: (r: TaskRecord) => boolean, refusal: string, next: (r: TaskRecord, at: Actor) => TaskRecord): Promise<TaskRecord> {
    this.checkStarted()
    const current = this.tasks.get(id)
    if (current === undefined) throw new TaskNotFoundError(id)
    if (!allowed(current)) throw new TaskStateError(`task ${id} is ${current.deleted ? 'deleted' : current.state}: ${refusal}`)
    const change = await this.tasks.update(id, cur => cur !== undefined && allowed(cur) ? next(cur, { self: this.c.self, now: this.c.clock.wallNow() }) : undefined)
    const record = change?.after
    if (record === undefined) throw new TaskStateError(`task ${id} changed meanwhile: ${refusal}`)
    this.gossip.push([record], true)
    // Control changes also go straight to every member: a cancel should not wait for gossip or sync (gossip is the lazy repair).
    this.spread.toMembers([record])
    return record
  }

  private async ensureOccurrence(def: TaskDefinition, o: Occurrence): Promise<void> {
    const change = await this.tasks.update(o.id, cur => cur ?? newRecord({
      id: o.id, name: def.name, scope: def.scope, partition: this.c.claims.partitionOf(o.id), input: def.periodicInput, priority: def.priority,
      expiresAt: o.expiresAt, runAt: o.runAt, now: this.c.clock.wallNow(), self: this.c.self,
    }))
    if (change?.after !== undefined) {
      this.meter.task(def.name, 'enqueued')
      this.submit.spreadNew([change.after])
    }
  }

  /**
   * New "any" tasks whose put reached a peer that does not hold their partition (the holder hint was stale): unless
   * this peer holds it (and runs them), they are gossiped now, not after gossipDeferMs, so their holder hears at once.
   */
  private missedHolder(records: readonly TaskRecord[]): void {
    this.gossip.undefer(records.filter(r => this.c.claims.held(r.partition) === undefined).map(r => r.id))
  }

  /** Records that arrived by push or gossip: "all" tasks this peer may run start at once, and everything is merged. */
  private accept(records: TaskRecord[], lazyMs = 0): void {
    this.runner.offer(records)
    this.background.track(this.tasks.merge(records, this.limits.retentionMs, lazyMs))
  }

  /** `peer` died or left: the "all" tasks whose attempts this peer reported to it go to their next settler. */
  memberGone(peer: string): void {
    if (this.state === 'started' && peer !== this.c.self) this.reports.memberGone(peer)
  }

  /** Syncs with `peer` soon: it has just joined or come back, and either side may have missed records. */
  catchUp(peer: string): void {
    if (this.state === 'started') this.rounds.catchUp(peer)
  }

  /** One collection at a time (a large store takes several pages, each in its own turn); stop ends it between pages. */
  private collect(): void {
    if (this.collecting) return
    this.collecting = true
    const signal = this.scope.signal
    this.background.track(this.tasks.collect(this.limits.retentionMs, { signal }).then(
      (n) => { if (n > 0) this.logger.debug('collected finished tasks', { count: n }) },
      (err: unknown) => { if (!signal.aborted) throw err },
    ).finally(() => { this.collecting = false }))
  }

  private armCollect(): void {
    this.collectTimer = this.c.timers.setTimeout(() => {
      if (this.state !== 'started') return
      this.collect()
      this.armCollect()
    }, this.limits.collectIntervalMs)
  }

  private checkStarted(): void {
    if (this.state !== 'started') throw new UnavailableError('the task service is not running')
  }
}
