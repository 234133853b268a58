// Runs tasks on this peer: "any" tasks of the partitions it holds, "all"
// tasks once each. At most `concurrency` at a time, best first (pick.ts).
// Each attempt is written (and spread) before the handler starts and after
// it ends; the handler's signal fires on timeout, cancellation, partition
// loss and stop, and the attempt ends at once even if the handler ignores it.
import { LazyAbortController } from '../util/abort.js'
import type { ErrorShape } from '../errors.js'
import type { Clock, TimerHandle, Timers, WallClock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { PartitionClaims } from './claims.js'
import type { TaskDefinition } from './define.js'
import { PartitionLostError, TaskCancelledError, TaskServiceStoppingError } from './errors.js'
import { noTaskMeter, type TaskMeter } from './meter.js'
import { mergeChange, mergeRecords } from './merge.js'
import { compareDue, pickRunnable, type PickContext } from './pick.js'
import type { TaskRecord } from './record.js'
import { RECORD_RETRY_MAX_MS, RETRY_PICK_MS, START_RECORD_DELAY_MS, STORE_REFUSED_RECHECK_MS, WAKE_MAX_MS } from './constants.js'
import { DueIndex, PARKED_RECHECK_MS } from './due.js'
import { runAttempt, type AttemptDeps } from './attempt.js'
import { StartWrites, type Started } from './start-writes.js'
import { TurnBudget } from './turn.js'
import { describeValue } from '../util/describe.js'
import type { Change, TaskStore } from './store.js'
import { OpenAll } from './open-all.js'
import { attemptEvent, finishAttempt, startAttempt, withRefusal } from './transitions.js'

export interface RunnerDeps {
  store: TaskStore
  definitions: ReadonlyMap<string, TaskDefinition>
  claims: PartitionClaims
  clock: Clock & WallClock
  timers: Timers
  logger: Logger
  self: string
  members: () => readonly string[]
  concurrency: number
  taskTimeoutMs: number
  /** Spreads records this peer changed. */
  spread: (records: TaskRecord[]) => void
  /** Extra ctx fields (the peer's actor and task senders). */
  context?: () => object
  /** Counts claims, attempt ends and their durations; default counts nothing. */
  meter?: TaskMeter
  /**
   * "any" attempts write their start only after running this long (ms), and an "all" attempt's start, written as it
   * begins, may wait this long for a commit to share; 0 writes and commits either at once. Default START_RECORD_DELAY_MS.
   */
  startRecordDelayMs?: number
  /** How long the write of an "all" attempt's end may wait for a commit to share (ms; TaskServiceInit.allReportMs); default 0. */
  allEndLazyMs?: number
  /** Until this monotonic ms, every attempt's start is written, and committed, before its handler runs (TaskServiceInit.startsAtOnceMs). */
  startsAtOnceUntil?: number
}

export interface RunnerStatus {
  /** Attempts in flight here, handlers and their records being written alike. */
  running: number
  runningIds: string[]
  /** Partitions held but not yet run: their handover sync has not ended. */
  warming: number[]
  concurrency: number
  /** Starting no attempt (pause()). */
  paused: boolean
}

/** An attempt in flight here (Started: its record, start time and start's write). */
interface Running extends Started {
  round: number
  controller: LazyAbortController
  /** The handler is over and its outcome is being written: the slot is free, the id still taken. */
  finishing: boolean
  done: Promise<void>
}

export class Runner {
  /** Attempts started and finished by this runner, for tests and metrics. */
  readonly counts = { started: 0, finished: 0 }
  private readonly running = new Map<string, Running>()
  /** How many entries of `running` are not finishing (counted, not scanned: thousands may be finishing while commits lag). */
  private handlers = 0
  /** Partitions just acquired, not run until a sync round has brought their latest records (or a timeout passed). */
  private readonly warming = new Set<number>()
  private stopping = false
  /** Starts no attempt while set (pause/resume); what runs goes on, and tasks keep arriving and waiting. */
  private paused = false
  private scheduled = false
  /** How long this turn of the event loop has been starting attempts (turn.ts). */
  private readonly turn: TurnBudget
  private wake: { handle: TimerHandle, at: number } | undefined
  private readonly meter: TaskMeter
  /** "any" tasks that might start here, instead of a scan of every open record per look. */
  private readonly index = new DueIndex()
  private indexed = false
  /** The "all" records this peer may still run (open-all.ts). */
  private readonly openAll: OpenAll
  /** When each attempt's start is written (start-writes.ts). */
  private readonly starts: StartWrites<Running>
  /** What each attempt is run with: the deps, and one `ctx.peer` for all of them. */
  private readonly attemptDeps: AttemptDeps
  /** Tasks whose last attempts' outcomes could not be written, with how many in a row: they wait before being picked again. */
  private readonly recordFailures = new Map<string, number>()
  /** The store refused writes at the last look (logged once per spell). */
  private storeRefused = false

  constructor(private readonly deps: RunnerDeps) {
    this.meter = deps.meter ?? noTaskMeter
    this.turn = new TurnBudget(() => deps.clock.now())
    this.attemptDeps = { ...deps, peer: Object.freeze({ id: deps.self }) }
    this.openAll = new OpenAll(deps)
    this.starts = new StartWrites<Running>({
      store: deps.store, spread: deps.spread, logger: deps.logger, clock: deps.clock, timers: deps.timers, delayMs: deps.startRecordDelayMs ?? START_RECORD_DELAY_MS,
    })
  }

  /** Handlers running now (attempts being recorded excluded): the entries of `running` not yet finishing. */
  get active(): number {
    return this.handlers
  }

  /** What the runner is doing, for /status: attempts in flight (ids, at most 20) and partitions held back until their handover sync. */
  status(): RunnerStatus {
    const ids = [...this.running.keys()]
    return { running: ids.length, runningIds: ids.slice(0, 20), warming: [...this.warming].sort((a, b) => a - b), concurrency: this.deps.concurrency, paused: this.paused }
  }

  /** Starts no new attempt until resume(); attempts under way run to their end. */
  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.index.touch()
    this.pump()
  }

  /** Looks for work on the next microtask (coalesced), or in the next turn once this one has started attempts for TURN_RUN_MS. */
  pump(): void {
    if (this.scheduled || this.stopping) return
    this.scheduled = true
    if (this.turn.spent) setImmediate(this.look)
    else queueMicrotask(this.look)
  }

  private readonly look = (): void => {
    this.scheduled = false
    this.tick()
  }

  /**
   * Records just received (put, push, gossip) or created here, before their
   * commit: "any" tasks of partitions held here enter the index (so the
   * holder starts them on receipt), and the "all" tasks this peer may run
   * start now. Each is joined with the newest copy held here, so an attempt
   * already made or running here is seen, and the attempt's own write carries
   * the record to disk. A crash
   * before that write leaves the task unrecorded here; sync brings it back
   * and it runs again (at least once, as for any attempt).
   */
  offer(records: readonly TaskRecord[]): void {
    if (this.stopping) return
    const candidates: TaskRecord[] = []
    let indexed = false
    let hint: { now: number, held: true } | undefined
    for (const r of records) {
      if (this.running.has(r.id) || r.partition !== this.deps.claims.partitionOf(r.id)) continue
      // "any" tasks of partitions held elsewhere wait for their commit here (onChanges indexes them), at no extra read.
      if (r.scope === 'any' && (!this.indexed || this.deps.claims.held(r.partition) === undefined)) continue
      const held = this.deps.store.latest(r.id)
      // The held copy itself when `r` adds nothing to it (a copy gossiped after its put): the index then holds the
      // store's object, and the take and the attempt's end need no merge of their own.
      const joined = held === undefined ? r : (mergeChange(held, r) ?? held)
      if (r.scope === 'all') {
        candidates.push(joined)
      } else {
        // "any": indexed at once, so the holder starts it on receipt of the put, before its own commit.
        this.index.put(joined, hint ??= { now: this.deps.clock.wallNow(), held: true })
        indexed = true
      }
    }
    if (indexed) this.pump()
    // Paused: the "all" ones wait in openAll (onChanges tracks them) for the first look after resume.
    if (candidates.length === 0 || this.paused) return
    const { start } = pickRunnable(candidates, this.pickContext(), this.deps.concurrency - this.active)
    for (const r of start) this.launch(r)
  }

  /** Reacts to records changed by anyone: cancels what runs here if it was cancelled, deleted or retried. */
  onChanges(changes: readonly Change[]): void {
    const now = this.deps.clock.wallNow()
    for (const { before, after } of changes) {
      if (after === undefined) {
        if (before !== undefined) this.index.forget(before.id)
        continue
      }
      if (after.scope === 'all') {
        if (!this.stopping) this.openAll.settle(after)
        if (this.indexed) this.openAll.track(after)
      } else if (this.indexed && !this.running.has(after.id)) this.index.put(after, { now, held: this.deps.claims.held(after.partition) !== undefined })
      const entry = this.running.get(after.id)
      if (entry === undefined) continue
      if (after.deleted || after.state === 'cancelled' || after.round !== entry.round) entry.controller.abort(new TaskCancelledError(after.id))
    }
    this.pump()
  }

  /** Holds back a newly acquired partition: its tasks may have finished elsewhere in news not yet received. */
  hold(partition: number): void {
    this.warming.add(partition)
  }

  release(partitions: Iterable<number>): void {
    for (const p of partitions) this.warming.delete(p)
    this.index.touch()
    this.pump()
  }

  onLost(partition: number): void {
    this.warming.delete(partition)
    this.index.touch()
    for (const entry of this.running.values()) {
      if (entry.record.scope === 'any' && entry.record.partition === partition) entry.controller.abort(new PartitionLostError(partition))
    }
  }

  /** Stops starting tasks; waits for running ones up to the deadline, then aborts them and waits for their records. */
  async stop(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    this.stopping = true
    if (this.wake !== undefined) this.deps.timers.clearTimeout(this.wake.handle)
    this.starts.stop()
    const all = (): Promise<unknown> => Promise.allSettled([...this.running.values()].map(r => r.done))
    if (this.running.size > 0 && deadlineMs > 0 && signal?.aborted !== true) {
      let handle: TimerHandle | undefined
      const onAbort = (): void => { if (handle !== undefined) this.deps.timers.clearTimeout(handle) }
      await Promise.race([all(), new Promise<void>(resolve => {
        handle = this.deps.timers.setTimeout(resolve, deadlineMs)
        signal?.addEventListener('abort', () => { onAbort(); resolve() }, { once: true })
      })])
      onAbort()
    }
    for (const entry of this.running.values()) entry.controller.abort(new TaskServiceStoppingError())
    await all()
  }

  private pickContext(): PickContext {
    const { claims, clock, definitions, self } = this.deps
    return {
      self, now: clock.wallNow(), running: this.running,
      holds: (p) => { const g = claims.held(p); return g !== undefined && clock.now() < g.validUntil && !this.warming.has(p) },
      retryOf: (name) => definitions.get(name)?.retry,
    }
  }

  private tick(): void {
    if (this.stopping || this.paused) return
    const { store, clock, definitions } = this.deps
    if (!this.indexed) {
      this.indexed = true
      for (const r of store.activeRecords()) if (r.scope === 'any' && !this.running.has(r.id)) this.index.put(r)
      for (const r of store.activeAllRecords()) this.openAll.track(r)
    }
    const ctx = this.pickContext()
    const slots = this.deps.concurrency - this.active
    // An attempt started now could not write its outcome: its handler would run, and run again.
    if (slots > 0 && !store.writable()) {
      if (!this.storeRefused) this.deps.logger.warn('the task store refuses writes: no task starts here until it accepts them')
      this.storeRefused = true
      this.setWake(ctx.now + STORE_REFUSED_RECHECK_MS, ctx.now)
      return
    }
    if (this.storeRefused) this.deps.logger.info('the task store accepts writes again: tasks start')
    this.storeRefused = false
    const all = pickRunnable(this.openAll.records(ctx.now), ctx, slots)
    const any = slots <= 0 ? [] : this.index.take({
      now: ctx.now, mono: clock.now(), holds: ctx.holds, mine: p => this.deps.claims.held(p) !== undefined,
      current: (r) => {
        const held = store.active(r.id)
        return held === undefined || held === r ? r : (mergeChange(held, r) ?? held)
      },
      judge: (r) => {
        if (r.scope !== 'any' || r.deleted || (r.state !== 'pending' && r.state !== 'running')) return 'drop'
        // Running here: indexed again when its attempt ends. Unknown here: never run by this peer.
        if (this.running.has(r.id) || !definitions.has(r.name)) return 'drop'
        if (!ctx.holds(r.partition)) return 'park'
        return r.runAt > ctx.now ? 'wait' : 'start'
      },
    }, slots)
    let start = any
    if (all.start.length > 0) {
      const best = [...all.start, ...any].sort(compareDue)
      start = best.slice(0, slots)
      for (const r of best.slice(slots)) if (r.scope === 'any') this.index.put(r)
    }
    for (const r of start) this.launch(r)
    // With every slot taken, an ending attempt pumps: no timer for the index then (its top may already be due).
    // Tasks parked in a partition held here but not startable yet (warming, a grant being renewed) are looked at again soon.
    const recheck = slots > 0 && this.index.wantsRecheck ? ctx.now + PARKED_RECHECK_MS : undefined
    const wakes = [all.wakeAt, slots > 0 ? this.index.wakeAt() : undefined, recheck].filter((x): x is number => x !== undefined)
    this.setWake(wakes.length === 0 ? undefined : Math.min(...wakes), ctx.now)
  }

  private setWake(at: number | undefined, now: number): void {
    if (at === undefined || (this.wake !== undefined && this.wake.at <= at)) return
    if (this.wake !== undefined) this.deps.timers.clearTimeout(this.wake.handle)
    const handle = this.deps.timers.setTimeout(() => {
      this.wake = undefined
      this.pump()
    }, Math.min(WAKE_MAX_MS, Math.max(0, at - now)))
    this.wake = { handle, at }
  }

  private launch(r: TaskRecord): void {
    this.turn.started()
    const entry: Running = { record: r, round: r.round, controller: new LazyAbortController(), finishing: false, done: Promise.resolve(), startedMono: 0, started: undefined }
    this.running.set(r.id, entry)
    this.handlers++
    entry.done = this.execute(entry)
      .then((started) => {
        this.ended(entry)
        if (this.recordFailures.size > 0) this.recordFailures.delete(r.id)
        this.reindex(r.id)
        // Nothing started: look again on a timer, never in a microtask loop that would starve lmdb's commits.
        if (started) this.pump()
        else this.setWake(this.deps.clock.wallNow() + RETRY_PICK_MS, this.deps.clock.wallNow())
      }, (err: unknown) => {
        this.ended(entry)
        const failures = (this.recordFailures.get(r.id) ?? 0) + 1
        this.recordFailures.set(r.id, failures)
        const waitMs = Math.min(RECORD_RETRY_MAX_MS, RETRY_PICK_MS * 2 ** Math.min(failures - 1, 20))
        this.deps.logger.error('task attempt failed to record', { id: r.id, err: err instanceof Error ? err.message : describeValue(err), failures, retryInMs: waitMs })
        // Back in the index only after the wait (a change that arrives meanwhile may index it sooner, as any change does).
        this.deps.timers.setTimeout(() => {
          if (this.stopping || this.running.has(r.id)) return
          if (this.deps.store.active(r.id) === undefined) this.recordFailures.delete(r.id)
          this.reindex(r.id)
          this.pump()
        }, waitMs)
      })
  }

  /** The handler of `entry` is over (its outcome is being written). */
  private finishing(entry: Running): void {
    if (entry.finishing) return
    entry.finishing = true
    this.handlers--
  }

  /** `entry`'s attempt is over, recorded or not: its id is free. */
  private ended(entry: Running): void {
    this.finishing(entry)
    this.running.delete(entry.record.id)
  }

  /** An attempt ended: its task may run again (a retry), so it goes back into the index as the store now has it. */
  private reindex(id: string): void {
    const r = this.deps.store.active(id)
    if (r !== undefined) this.index.put(r)
  }

  /**
   * One attempt. The start is computed on the record as picked (the newest
   * copy here, which may not be committed yet). An "all" attempt's start is
   * merged into the store without waiting for the commit (the merge is a
   * join, so whatever lands meanwhile, a cancel say, still wins and then
   * aborts the handler through onChanges). An "any" attempt's start is
   * written only if the handler runs long (start-writes.ts). The slot
   * frees when the handler ends; the id stays taken until its outcome is
   * committed, so the task is never picked again on stale state.
   */
  private async execute(entry: Running): Promise<boolean> {
    const { store, claims, clock, self, definitions } = this.deps
    // The record as picked: the store's in-memory copy, which already includes writes not yet committed.
    const cur = entry.record
    const id = cur.id
    const def = definitions.get(cur.name)
    if (this.stopping || entry.controller.aborted || def === undefined) return false
    const fence = cur.scope === 'any' ? claims.held(cur.partition)?.fence : undefined
    const start = startAttempt(cur, { self, now: clock.wallNow() }, fence, def.retry.lostMax)
    if (start.attempt === undefined) {
      await this.refuse(cur, start.record, start.error, def)
      return true
    }
    const { record, attempt } = start
    entry.record = record
    entry.startedMono = clock.now()
    // Watching for a crash (this peer's last run did not stop gracefully): the start goes to disk before the handler runs.
    const atOnce = this.deps.startsAtOnceUntil !== undefined && clock.now() < this.deps.startsAtOnceUntil
    this.starts.begin(entry, atOnce ? 'now' : record.scope === 'all' ? 'soon' : 'later')
    this.counts.started++
    this.meter.task(cur.name, 'claimed')
    if (atOnce) await entry.started
    const { outcome, error } = await runAttempt({ def, record, attempt, controller: entry.controller, deps: this.attemptDeps })
    this.meter.attempt(cur.name, outcome, (clock.now() - entry.startedMono) / 1000)
    this.finishing(entry)
    this.starts.end(entry)
    this.pump()
    const owner = record.scope === 'all' || claims.held(record.partition)?.fence === fence
    // The end is written with the start: an unwritten start (a short "any" attempt) or one refused (a full disk)
    // joins the stored record here, so start and end are one write. A written one is already in the store's view
    // (writes apply at once and commit in order), so the end need not wait for its commit: both often go to disk in
    // one put.
    // The store's copy still the one picked (the common case: nothing arrived meanwhile): the started record is their merge.
    const withStart = (now: TaskRecord): TaskRecord => now.attempts.some(a => a.key === attempt.key) ? now : now === cur ? record : mergeRecords(now, record)
    const finishing = store.update(id, now => now === undefined ? undefined
      : finishAttempt(withStart(now), { self, now: clock.wallNow() }, { key: attempt.key, outcome, error, retry: def.retry, members: record.scope === 'all' ? this.deps.members() : undefined, owner }),
    // An "all" attempt's end is this peer's report, which waits for company anyway (report.ts): its commit may wait too.
    record.scope === 'all' ? this.deps.allEndLazyMs ?? 0 : 0)
    // A short attempt wrote no start: no Promise.all (an array and a promise per attempt) for one promise.
    const finished = entry.started === undefined ? await finishing : (await Promise.all([entry.started, finishing]))[1]
    this.counts.finished++
    const event = finished?.after === undefined ? (outcome === 'ok' ? 'completed' : undefined) : attemptEvent(finished.after, attempt.key, def.retry)
    if (event !== undefined) this.meter.task(cur.name, event)
    if (finished?.after !== undefined) this.deps.spread([finished.after])
    return true
  }

  /**
   * The task was not started: too many of its attempts lost their runner mid-run (`startAttempt`). `record` says so
   * ("any": failed; "all": this peer's share failed, settled here as a finished attempt would be).
   */
  private async refuse(picked: TaskRecord, record: TaskRecord, error: ErrorShape, def: TaskDefinition): Promise<void> {
    const { store, clock, self } = this.deps
    this.deps.logger.warn('task not run again: too many of its attempts lost their runner mid-run', { id: picked.id, name: picked.name, code: error.code, message: error.message })
    const written = await store.update(picked.id, now => now === undefined ? undefined
      : withRefusal(now === picked ? record : mergeRecords(now, record), { self, now: clock.wallNow() }, def.retry, this.deps.members()))
    if (written?.after === undefined) return
    this.meter.task(picked.name, 'failed')
    this.deps.spread([written.after])
  }
}
