// The CPU worker pool: `cpu: true` task handlers run here, one per worker
// thread at a time, so they use the other cores and never block the peer's
// event loop. A handler that ignores its signal past the grace time loses its
// thread (terminated and replaced); a thread that dies fails its attempt,
// which the task's retry policy then handles like any other error.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { ConfigError, toErrorShape, fromErrorShape, TroupeError, TimeoutError } from '../errors.js'
import type { TaskContext } from '../tasks/define.js'
import type { Timers, TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { CPU_ABORT_GRACE_MS, CPU_WORKER_START_MS, CPU_WORKERS_MAX, defaultCpuWorkers } from './constants.js'
import { CALL_OPS, type FromWorker, type ToWorker, type WorkerData } from './protocol.js'

export interface CpuPoolComponents {
  timers: Timers
  logger: Logger
}

export interface CpuPoolInit {
  /** The app's module path: each worker loads it to find the handlers. */
  app: string
  /** Worker threads (default: cores - 1, at least 1; at most CPU_WORKERS_MAX). */
  size?: number
  abortGraceMs?: number
}

/** A worker thread died or was terminated under a running handler. */
export class CpuWorkerError extends TroupeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'ERR_CPU_WORKER', status: 500, retryable: true, ...options })
    this.name = 'CpuWorkerError'
  }
}

interface Job { task: string, input: unknown, ctx: TaskContext, resolve: () => void, reject: (err: unknown) => void }

interface Slot {
  worker: Worker
  job: (Job & { run: number, grace?: TimerHandle, onAbort?: () => void }) | undefined
}

export class CpuPool {
  private readonly slots: Slot[] = []
  private readonly queue: Job[] = []
  private readonly size: number
  private readonly graceMs: number
  private nextRun = 0
  private stopped = false

  constructor(private readonly c: CpuPoolComponents, private readonly init: CpuPoolInit) {
    this.size = init.size ?? defaultCpuWorkers()
    if (!Number.isInteger(this.size) || this.size < 1 || this.size > CPU_WORKERS_MAX) throw new ConfigError(`cpuWorkers must be an integer from 1 to ${CPU_WORKERS_MAX}, got ${init.size}`)
    this.graceMs = init.abortGraceMs ?? CPU_ABORT_GRACE_MS
  }

  /** Starts every worker and waits until each has loaded the app. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, () => this.spawn()))
  }

  /** Runs the named task's handler in a worker; settles like the handler. */
  run(task: string, ctx: TaskContext, input: unknown): Promise<void> {
    if (this.stopped) return Promise.reject(new CpuWorkerError('the CPU worker pool is stopped'))
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ task, input, ctx, resolve, reject })
      this.dispatch()
    })
  }

  /** Terminates every worker; handlers still running fail with CpuWorkerError. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const job of this.queue.splice(0)) job.reject(new CpuWorkerError('the CPU worker pool stopped'))
    await Promise.all(this.slots.splice(0).map(slot => this.retire(slot, new CpuWorkerError('the CPU worker pool stopped'))))
  }

  private async spawn(): Promise<Slot> {
    const worker = startWorker(this.init.app)
    const slot: Slot = { worker, job: undefined }
    await new Promise<void>((resolve, reject) => {
      const timer = this.c.timers.setTimeout(() => fail(new ConfigError(`a CPU worker did not load the app ${this.init.app} within ${CPU_WORKER_START_MS} ms`)), CPU_WORKER_START_MS)
      const fail = (err: unknown): void => {
        this.c.timers.clearTimeout(timer)
        void worker.terminate()
        reject(err instanceof ConfigError ? err : new ConfigError(`a CPU worker could not load the app ${this.init.app}: ${(err as Error).message}`, { cause: err }))
      }
      worker.once('error', fail)
      worker.once('message', (msg: FromWorker) => {
        this.c.timers.clearTimeout(timer)
        worker.off('error', fail)
        if (msg.t === 'ready') resolve()
        else fail(new Error(`unexpected first message ${msg.t}`))
      })
    })
    worker.on('message', (msg: FromWorker) => { this.onMessage(slot, msg) })
    worker.on('error', err => { this.c.logger.error('a CPU worker thread failed', { err: err.message }) })
    worker.once('exit', code => { this.onExit(slot, code) })
    this.slots.push(slot)
    this.dispatch()
    return slot
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job !== undefined) continue
      const job = this.queue.shift()
      if (job === undefined) return
      this.assign(slot, job)
    }
  }

  private assign(slot: Slot, job: Job): void {
    const run = this.nextRun++
    const { ctx } = job
    const running: NonNullable<Slot['job']> = { ...job, run }
    slot.job = running
    if (ctx.signal.aborted) {
      this.finish(slot, () => job.reject(ctx.signal.reason))
      return
    }
    running.onAbort = () => {
      this.post(slot, { t: 'abort', run, reason: toErrorShape(ctx.signal.reason) })
      running.grace = this.c.timers.setTimeout(() => {
        this.c.logger.warn('a CPU task ignored its signal; terminating its worker thread', { task: job.task, taskId: ctx.taskId, graceMs: this.graceMs })
        void this.replace(slot, ctx.signal.reason ?? new TimeoutError('aborted'))
      }, this.graceMs)
    }
    ctx.signal.addEventListener('abort', running.onAbort, { once: true })
    this.post(slot, { t: 'run', run, task: job.task, input: job.input, ctx: { taskId: ctx.taskId, name: ctx.name, attempt: ctx.attempt, fence: ctx.fence, partition: ctx.partition, peer: { id: ctx.peer.id } } })
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    const job = slot.job
    if (msg.t === 'ready' || job === undefined || msg.run !== job.run) return
    switch (msg.t) {
      case 'done':
        this.finish(slot, msg.ok ? job.resolve : () => job.reject(fromErrorShape(msg.error)))
        return
      case 'log':
        job.ctx.logger[msg.level](msg.msg, msg.fields)
        return
      case 'call':
        void this.call(slot, job.ctx, msg.call, msg.op, msg.args)
    }
  }

  /** Runs a sender call for the handler on this thread, with the task's signal, and replies. */
  private async call(slot: Slot, ctx: TaskContext, id: number, op: string, args: unknown[]): Promise<void> {
    try {
      if (!CALL_OPS.includes(op as never)) throw new CpuWorkerError(`unknown call ${op}`)
      const [plane, method] = op.split('.') as ['tasks' | 'actors', string]
      const target = ctx[plane] as unknown as Record<string, (...a: unknown[]) => unknown>
      const withSignal = args.map(a => typeof a === 'object' && a !== null && !Array.isArray(a) && 'signal' in a ? { ...a, signal: ctx.signal } : a)
      const value = await target[method]!(...withSignal)
      this.post(slot, { t: 'reply', call: id, ok: true, value })
    } catch (err) {
      this.post(slot, { t: 'reply', call: id, ok: false, error: toErrorShape(err) })
    }
  }

  private finish(slot: Slot, settle: () => void): void {
    const job = slot.job
    if (job !== undefined) {
      if (job.grace !== undefined) this.c.timers.clearTimeout(job.grace)
      if (job.onAbort !== undefined) job.ctx.signal.removeEventListener('abort', job.onAbort)
    }
    slot.job = undefined
    settle()
    this.dispatch()
  }

  private post(slot: Slot, msg: ToWorker): void {
    try {
      slot.worker.postMessage(msg)
    } catch (err) {
      // A value that cannot be cloned fails this job, not the pool.
      if (msg.t === 'run') this.finish(slot, () => slot.job?.reject(new CpuWorkerError(`the input of a CPU task cannot be sent to a worker: ${(err as Error).message}`, { cause: err })))
      else this.c.logger.warn('a message to a CPU worker could not be sent', { err: (err as Error).message })
    }
  }

  /** Terminates a slot's worker, failing its job with `reason`; a new worker takes its place. */
  private async replace(slot: Slot, reason: unknown): Promise<void> {
    const i = this.slots.indexOf(slot)
    if (i < 0) return
    this.slots.splice(i, 1)
    await this.retire(slot, reason)
    if (!this.stopped) await this.spawn().catch((err: unknown) => { this.c.logger.error('a CPU worker could not be replaced', { err: (err as Error).message }) })
  }

  private async retire(slot: Slot, reason: unknown): Promise<void> {
    const job = slot.job
    if (job !== undefined) this.finish(slot, () => job.reject(reason))
    slot.worker.removeAllListeners('exit')
    await slot.worker.terminate()
  }

  private onExit(slot: Slot, code: number): void {
    if (this.stopped || !this.slots.includes(slot)) return
    this.c.logger.error('a CPU worker thread exited', { code })
    void this.replace(slot, new CpuWorkerError(`the CPU worker thread running this task exited with code ${code}`))
  }
}

/** Starts a worker on this folder's worker module: the built .js, or the .ts source through tsx. */
function startWorker(app: string): Worker {
  const js = new URL('./worker.js', import.meta.url)
  const ts = new URL('./worker.ts', import.meta.url)
  const fromSource = !existsSync(fileURLToPath(js)) && existsSync(fileURLToPath(ts))
  const data: WorkerData = { app, module: (fromSource ? ts : js).href, tsx: fromSource ? import.meta.resolve('tsx/esm/api') : undefined }
  const boot = `
    const { workerData } = require('node:worker_threads')
    ;(async () => {
      if (workerData.tsx !== undefined) {
        (await import(workerData.tsx)).register()
        globalThis[Symbol.for('troupe.tsx-registered')] = true
      }
      await import(workerData.module)
    })().catch(err => { setImmediate(() => { throw err }) })
  `
  return new Worker(boot, { eval: true, workerData: data })
}
