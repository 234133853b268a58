// Runs tasks on this peer: "any" tasks of the partitions it holds, "all"
// tasks once each. At most `concurrency` at a time, best first (pick.ts).
// Each attempt is written (and spread) before the handler starts and after
// it ends; the handler's signal fires on timeout, cancellation, partition
// loss and stop, and the attempt ends at once even if the handler ignores it.
import { validateInput } from '../app/validate.js'
import { TimeoutError, toErrorShape, type ErrorShape } from '../errors.js'
import type { Clock, TimerHandle, Timers, WallClock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { PartitionClaims } from './claims.js'
import type { TaskContext, TaskDefinition } from './define.js'
import { PartitionLostError, TaskCancelledError, TaskServiceStoppingError } from './errors.js'
import { noTaskMeter, type TaskMeter } from './meter.js'
import { mergeRecords } from './merge.js'
import { pickRunnable, type PickContext } from './pick.js'
import { attemptsOf, type Attempt, type AttemptOutcome, type TaskRecord } from './record.js'
import type { Change, TaskStore } from './store.js'
import { attemptEvent, finishAttempt, settleAll, startAttempt } from './transitions.js'

/**
 * Longest sleep between looks at the due tasks. runAt is wall time and timers
 * are monotonic: looking at least this often bounds the lateness a wall-clock
 * step can cause (and keeps timers far from setTimeout's 24.8-day limit).
 */
export const WAKE_MAX_MS = 60_000

/** After an attempt that could not start or be recorded, the next look waits this long. */
export const RETRY_PICK_MS = 100

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
}

export interface RunnerStatus {
  /** Attempts in flight here, handlers and their records being written alike. */
  running: number
  runningIds: string[]
  /** Partitions held but not yet run: their handover sync has not ended. */
  warming: number[]
  concurrency: number
}

interface Running {
  record: TaskRecord
  round: number
  controller: AbortController
  /** The handler is over and its outcome is being written: the slot is free, the id still taken. */
  finishing: boolean
  done: Promise<void>
}

export class Runner {
  /** Attempts started and finished by this runner, for tests and metrics. */
  readonly counts = { started: 0, finished: 0 }
  private readonly running = new Map<string, Running>()
  /** Partitions just acquired, not run until a sync round has brought their latest records (or a timeout passed). */
  private readonly warming = new Set<number>()
  private stopping = false
  private scheduled = false
  private wake: { handle: TimerHandle, at: number } | undefined
  private readonly meter: TaskMeter

  constructor(private readonly deps: RunnerDeps) {
    this.meter = deps.meter ?? noTaskMeter
  }

  /** Handlers running now (attempts being recorded excluded). */
  get active(): number {
    let n = 0
    for (const e of this.running.values()) if (!e.finishing) n++
    return n
  }

  /** What the runner is doing, for /status: attempts in flight (ids, at most 20) and partitions held back until their handover sync. */
  status(): RunnerStatus {
    const ids = [...this.running.keys()]
    return { running: ids.length, runningIds: ids.slice(0, 20), warming: [...this.warming].sort((a, b) => a - b), concurrency: this.deps.concurrency }
  }

  /** Looks for work on the next microtask (coalesced). */
  pump(): void {
    if (this.scheduled || this.stopping) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.tick()
    })
  }

  /**
   * Starts the "all" tasks among `records` (just pushed to this peer) that it
   * may run now, without waiting for their commit here: each is joined with
   * the newest copy held here, so an attempt already made or running here is
   * seen, and the attempt's own write carries the record to disk. A crash
   * before that write leaves the task unrecorded here; sync brings it back
   * and it runs again (at least once, as for any attempt).
   */
  offer(records: readonly TaskRecord[]): void {
    if (this.stopping) return
    const candidates: TaskRecord[] = []
    for (const r of records) {
      if (r.scope !== 'all' || this.running.has(r.id)) continue
      const held = this.deps.store.latest(r.id)
      candidates.push(held === undefined ? r : mergeRecords(held, r))
    }
    if (candidates.length === 0) return
    const { start } = pickRunnable(candidates, this.pickContext(), this.deps.concurrency - this.active)
    for (const r of start) this.launch(r)
  }

  /** Reacts to records changed by anyone: cancels what runs here if it was cancelled, deleted or retried. */
  onChanges(changes: readonly Change[]): void {
    for (const { after } of changes) {
      if (after === undefined) continue
      if (after.scope === 'all') this.settle(after)
      const entry = this.running.get(after.id)
      if (entry === undefined) continue
      if (after.deleted || after.state === 'cancelled' || after.round !== entry.round) entry.controller.abort(new TaskCancelledError(after.id))
    }
    this.pump()
  }

  /** Marks an "all" record done or failed when the news that completes it lands here. */
  private settle(r: TaskRecord): void {
    const retry = this.deps.definitions.get(r.name)?.retry
    if (retry === undefined || this.stopping) return
    const at = { self: this.deps.self, now: this.deps.clock.wallNow() }
    if (settleAll(r, at, retry, this.deps.members()) === r) return
    this.deps.store.update(r.id, cur => {
      if (cur === undefined) return undefined
      const next = settleAll(cur, { self: this.deps.self, now: this.deps.clock.wallNow() }, retry, this.deps.members())
      return next === cur ? undefined : next
    }).then(
      (change) => { if (change?.after !== undefined) this.deps.spread([change.after]) },
      (err: unknown) => this.deps.logger.warn('could not settle an "all" task', { id: r.id, err: (err as Error).message }),
    )
  }

  /** Holds back a newly acquired partition: its tasks may have finished elsewhere in news not yet received. */
  hold(partition: number): void {
    this.warming.add(partition)
  }

  release(partitions: Iterable<number>): void {
    for (const p of partitions) this.warming.delete(p)
    this.pump()
  }

  onLost(partition: number): void {
    this.warming.delete(partition)
    for (const entry of this.running.values()) {
      if (entry.record.scope === 'any' && entry.record.partition === partition) entry.controller.abort(new PartitionLostError(partition))
    }
  }

  /** Stops starting tasks; waits for running ones up to the deadline, then aborts them and waits for their records. */
  async stop(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    this.stopping = true
    if (this.wake !== undefined) this.deps.timers.clearTimeout(this.wake.handle)
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
    const running = new Set(this.running.keys())
    return {
      self, now: clock.wallNow(), running,
      holds: (p) => { const g = claims.held(p); return g !== undefined && clock.now() < g.validUntil && !this.warming.has(p) },
      retryOf: (name) => definitions.get(name)?.retry,
    }
  }

  private tick(): void {
    if (this.stopping) return
    const ctx = this.pickContext()
    const { start, wakeAt } = pickRunnable(this.deps.store.activeRecords(), ctx, this.deps.concurrency - this.active)
    for (const r of start) this.launch(r)
    this.setWake(wakeAt, ctx.now)
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
    const entry: Running = { record: r, round: r.round, controller: new AbortController(), finishing: false, done: Promise.resolve() }
    this.running.set(r.id, entry)
    entry.done = this.execute(entry)
      .then((started) => {
        this.running.delete(r.id)
        // Nothing started: look again on a timer, never in a microtask loop that would starve lmdb's commits.
        if (started) this.pump()
        else this.setWake(this.deps.clock.wallNow() + RETRY_PICK_MS, this.deps.clock.wallNow())
      }, (err: unknown) => {
        this.running.delete(r.id)
        this.deps.logger.error('task attempt failed to record', { id: r.id, err: (err as Error).message })
        this.setWake(this.deps.clock.wallNow() + RETRY_PICK_MS, this.deps.clock.wallNow())
      })
  }

  /**
   * One attempt. The start is computed on the committed record and merged
   * into the store without waiting for the commit (the merge is a join, so
   * whatever lands meanwhile, a cancel say, still wins and then aborts the
   * handler through onChanges). If the peer dies before that commit the
   * task is still pending and runs again: at least once either way. The slot
   * frees when the handler ends; the id stays taken until its outcome is
   * committed, so the task is never picked again on stale state.
   */
  private async execute(entry: Running): Promise<boolean> {
    const { store, claims, clock, self, definitions } = this.deps
    // The record as picked: the store's in-memory copy, which already includes writes not yet committed.
    const cur = entry.record
    const id = cur.id
    const def = definitions.get(cur.name)
    if (this.stopping || entry.controller.signal.aborted || def === undefined) return false
    const fence = cur.scope === 'any' ? claims.held(cur.partition)?.fence : undefined
    const { record, attempt } = startAttempt(cur, { self, now: clock.wallNow() }, fence)
    entry.record = record
    const started = store.merge([record])
    this.deps.spread([record])
    this.counts.started++
    this.meter.task(cur.name, 'claimed')
    const startedAt = clock.now()
    const { outcome, error } = await this.attempt(def, record, attempt, entry.controller)
    this.meter.attempt(cur.name, outcome, (clock.now() - startedAt) / 1000)
    entry.finishing = true
    this.pump()
    await started
    const owner = record.scope === 'all' || claims.held(record.partition)?.fence === fence
    const finished = await store.update(id, now => now === undefined ? undefined
      : finishAttempt(now, { self, now: clock.wallNow() }, { key: attempt.key, outcome, error, retry: def.retry, members: this.deps.members(), owner }))
    this.counts.finished++
    const event = finished?.after === undefined ? (outcome === 'ok' ? 'completed' : undefined) : attemptEvent(finished.after, attempt.key, def.retry)
    if (event !== undefined) this.meter.task(cur.name, event)
    if (finished?.after !== undefined) this.deps.spread([finished.after])
    return true
  }

  /** Runs the handler once, racing it against its signal. */
  private async attempt(def: TaskDefinition, record: TaskRecord, attempt: Attempt, controller: AbortController): Promise<{ outcome: AttemptOutcome, error?: ErrorShape }> {
    const { timers, logger, self } = this.deps
    const timeoutMs = record.timeoutMs ?? def.timeoutMs ?? this.deps.taskTimeoutMs
    const timer = timers.setTimeout(() => controller.abort(new TimeoutError(`task ${record.id} timed out after ${timeoutMs} ms`)), timeoutMs)
    const signal = controller.signal
    // The peer's extensions (actor and task senders) arrive through deps.context.
    const ctx = {
      ...this.deps.context?.(),
      taskId: record.id, name: record.name, fence: attempt.fence, peer: { id: self }, signal,
      attempt: record.scope === 'any' ? attemptsOf(record).length : attempt.n,
      logger: logger.child({ task: record.name, taskId: record.id, attempt: attempt.n }),
    } as TaskContext
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason)
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })
    // Never call the handler with a signal that already fired (the partition may go while the attempt is being written).
    const run = (async () => {
      const value = await validateInput(def.input, record.input)
      if (signal.aborted) throw signal.reason
      return def.run(ctx, value)
    })()
    run.catch((err: unknown) => { if (signal.aborted) logger.debug('an aborted task handler ended', { id: record.id, err: String(err) }) })
    try {
      await Promise.race([run, aborted])
      return { outcome: 'ok' }
    } catch (err) {
      return signal.aborted ? { outcome: outcomeOf(signal.reason), error: toErrorShape(signal.reason) } : { outcome: 'error', error: toErrorShape(err) }
    } finally {
      timers.clearTimeout(timer)
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
    }
  }
}

function outcomeOf(reason: unknown): AttemptOutcome {
  if (reason instanceof TimeoutError) return 'timeout'
  if (reason instanceof TaskCancelledError) return 'cancelled'
  if (reason instanceof PartitionLostError) return 'lost'
  return 'aborted'
}
