// One fault run: start the cluster, drive the workload while the seeded
// schedule injects faults, heal, let the tasks settle, gather the ledgers and
// final states, and check them. Everything the run wrote stays in `dir` when
// it found a violation (or when asked to keep it).

import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { check } from './checker.js'
import { FaultCluster } from './cluster.js'
import { httpJson, sleep } from './http.js'
import { finalStates, readLedgers, settle } from './outcome.js'
import { summaryTable, violationDetails } from './report.js'
import { describeStep, makeSchedule, type FaultStep } from './schedule.js'
import { startSink } from './sink.js'
import type { CheckResult, FaultEvent } from './types.js'
import { readActors, runWorkload } from './workload.js'

export interface HarnessOptions {
  seed: number
  steps: number
  peers: number
  anyTasks: number
  allTasks: number
  actorMessages: number
  actorKeys: number
  leaseMs: number
  /** Stop injecting faults once the run has lasted this long (the settle and check still follow). */
  faultsForMs: number
  /** How long the workload may go on sending after the last fault; the rest is not sent. */
  drainMs: number
  /** How long the tasks may take to settle after the last fault. */
  settleMs: number
  /** How long the cluster may take to form (at start and after a full restart). */
  formMs: number
  keep: boolean
  /** The peers' log level (default warn); their output is in the run folder. */
  logLevel?: string
  log: (line: string) => void
}

export interface HarnessResult {
  seed: number
  schedule: FaultStep[]
  /** Steps actually injected (a run out of time stops early). */
  injected: number
  result: CheckResult
  table: string
  /** Problems of the run itself (a cluster that did not re-form, tasks that did not settle): reported, not violations. */
  notes: string[]
  dir: string
  elapsedMs: number
}

export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n)

export async function runHarness(o: HarnessOptions): Promise<HarnessResult> {
  const began = performance.now()
  const dir = await mkdtemp(join(tmpdir(), `troupe-faults-${o.seed}-`))
  const faults: FaultEvent[] = []
  const record = (e: Omit<FaultEvent, 't'>): void => { faults.push({ ...e, t: nowUs() }) }
  const schedule = makeSchedule(o.seed, { steps: o.steps, peers: o.peers, leaseMs: o.leaseMs })
  const notes: string[] = []
  o.log(`fault run: seed ${o.seed}, ${o.peers} peers, ${schedule.length} steps, folder ${dir}`)
  const sink = await startSink(nowUs)
  const cluster = new FaultCluster({ size: o.peers, dir, sinkUrl: sink.url, leaseMs: o.leaseMs, logLevel: o.logLevel, record })
  const stopWork = new AbortController()
  let injected = 0
  /** Kept unless the run ends cleanly: a thrown run leaves its logs for diagnosis. */
  let keepDir = true
  try {
    await cluster.startAll()
    o.log(`cluster formed in ${Math.round(await cluster.waitFormed(o.peers, o.formMs))} ms after the last start`)
    const spreadMs = schedule.reduce((n, s) => n + s.gapMs + s.holdMs + (s.kind === 'restart-all' ? 8_000 : 1_000), 0)
    const workload = runWorkload({ seed: o.seed, anyTasks: o.anyTasks, allTasks: o.allTasks, actorMessages: o.actorMessages, actorKeys: o.actorKeys, spreadMs, inflightMax: 32 }, () => cluster.slots, nowUs, stopWork.signal)
    for (const step of schedule) {
      if (performance.now() - began > o.faultsForMs) {
        notes.push(`out of time: ${schedule.length - injected} of ${schedule.length} steps not injected`)
        break
      }
      await sleep(step.gapMs)
      o.log(`  +${secs(began)} ${describeStep(step)}`)
      await inject(cluster, step, o, notes, step === schedule.at(-1))
      injected++
    }
    notes.push(...await cluster.heal())
    try {
      o.log(`  +${secs(began)} healed; one cluster, all partitions held ${Math.round(await cluster.waitFormed(undefined, o.formMs))} ms later`)
    } catch (err) {
      notes.push(`after the last fault: ${(err as Error).message}`)
    }
    const drained = await Promise.race([workload, sleep(o.drainMs).then(() => undefined)])
    if (drained === undefined) {
      notes.push(`workload cut short: still sending ${o.drainMs} ms after the last fault`)
      stopWork.abort()
    }
    const work = await workload
    const crashed = cluster.slots.filter(s => s.state === 'down')
    if (crashed.length > 0) {
      notes.push(`restarted ${crashed.map(s => s.name).join(', ')} after the faults: exited on their own`)
      await cluster.restart(crashed)
    }
    o.log(`  +${secs(began)} workload sent: ${work.enqueued.length} tasks enqueued, ${[...work.actors.values()].reduce((n, a) => n + a.sent, 0)} asks, ${work.failed} requests failed`)
    if (!await settle(() => cluster.slots, o.settleMs)) notes.push(`tasks still pending or running ${o.settleMs} ms after the last fault`)
    o.log(`  +${secs(began)} settled; gathering`)
    const live = cluster.up()
    // Each live peer's own view at the end (lease holdings, runner state): what to read first when tasks are left open.
    await Promise.all(live.map(async s => {
      const res = await httpJson(`${s.http}/status`, { timeoutMs: 5_000 }).catch((err: unknown) => ({ status: 0, body: { error: (err as Error).message } }))
      await writeFile(join(dir, `status-${s.name}.json`), JSON.stringify(res.body, null, 1))
    }))
    const final = await finalStates(work.enqueued, live)
    const actors = await readActors(work.actors, () => cluster.slots)
    const { ledger, badLines } = await readLedgers(dir)
    const result = check({ ledger, faults, sink: sink.log, enqueued: work.enqueued, final, actors, livePeers: live.map(s => s.name), badLines })
    const table = summaryTable(result)
    await saveRun(dir, { faults, sink: sink.log, enqueued: work.enqueued, actors, schedule, table, details: violationDetails(result), notes })
    keepDir = o.keep || result.violations.length > 0 || notes.length > 0
    return { seed: o.seed, schedule, injected, result, table, notes, dir, elapsedMs: performance.now() - began }
  } finally {
    stopWork.abort()
    await cluster.cleanup()
    await sink.close()
    if (!keepDir) await rm(dir, { recursive: true, force: true })
  }
}

async function inject(cluster: FaultCluster, step: FaultStep, o: HarnessOptions, notes: string[], last: boolean): Promise<void> {
  const victims = step.peers.map(i => cluster.slots[i]!)
  switch (step.kind) {
    case 'kill':
      await cluster.kill(victims)
      await sleep(step.holdMs)
      await cluster.restart(victims)
      return
    case 'pause':
      cluster.pause(victims[0]!)
      await sleep(step.holdMs)
      cluster.resume(victims[0]!)
      return
    case 'partition':
      notes.push(...await cluster.partition(victims, cluster.slots.filter(s => !victims.includes(s))))
      await sleep(step.holdMs)
      notes.push(...await cluster.heal())
      return
    case 'restart-all': {
      await cluster.kill(cluster.slots.filter(s => s.state !== 'down'), step.signal, 'stop-all')
      await sleep(step.holdMs)
      await cluster.restart(cluster.slots)
      if (last) return // the settle that follows waits for the tasks
      try {
        o.log(`    one cluster, all partitions held again ${Math.round(await cluster.waitFormed(undefined, o.formMs))} ms after the restart`)
      } catch (err) {
        notes.push(`after ${describeStep(step)}: ${(err as Error).message}`)
      }
    }
  }
}

const secs = (began: number): string => `${((performance.now() - began) / 1000).toFixed(1)}s`

async function saveRun(dir: string, run: { faults: unknown[], sink: readonly unknown[], enqueued: unknown[], actors: readonly unknown[], schedule: FaultStep[], table: string, details: string, notes: string[] }): Promise<void> {
  const lines = (items: readonly unknown[]): string => items.map(i => JSON.stringify(i)).join('\n') + '\n'
  await writeFile(join(dir, 'faults.jsonl'), lines(run.faults))
  await writeFile(join(dir, 'sink.jsonl'), lines(run.sink))
  await writeFile(join(dir, 'enqueued.jsonl'), lines(run.enqueued))
  // Each actor's asks sent and acknowledged, and the count read at the end (absent when the read failed).
  await writeFile(join(dir, 'actors.jsonl'), lines(run.actors))
  await writeFile(join(dir, 'summary.md'), [run.schedule.map(s => `- ${describeStep(s)}`).join('\n'), '', run.table, '', run.details, '', ...run.notes].join('\n'))
}
