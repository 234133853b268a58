// The cluster under test: N peers as real processes started through the CLI
// (`troupe start`), each with its own data folder, fixed ports (a restarted
// peer comes back at the same address, with the same id), its own ledger
// file and the fault switch on. Every start, kill, pause, cut and exit is
// recorded as a FaultEvent on the shared monotonic clock.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FAST_MEMBERSHIP_FLAGS } from '../../helpers/cli-peers.js'
import { freePort } from '../../helpers/ports.js'
import { runCli, type PeerProcess } from '../../helpers/process.js'
import { httpJson, sleep } from './http.js'
import type { FaultEvent } from './types.js'

export const FAULT_APP = 'test/fixtures/fault-app'
/** How long a peer may take to print its banner (it loads the app through tsx). */
export const START_TIMEOUT_MS = 30_000
/** A SIGTERMed peer that has not exited after this long is killed. */
export const STOP_TIMEOUT_MS = 15_000
/** Tries and deadline of one call to a peer's fault switch. */
export const SWITCH_TRIES_MAX = 3
export const SWITCH_TIMEOUT_MS = 5_000

export interface Slot {
  name: string
  data: string
  httpPort: number
  p2pPort: number
  id: string
  p2p: string
  http: string
  proc: PeerProcess | undefined
  state: 'up' | 'down' | 'paused'
  /** Processes started for this slot so far. */
  starts: number
}

export interface ClusterInit {
  size: number
  dir: string
  sinkUrl: string
  leaseMs: number
  /** The peers' log level (default warn); their output is saved in the run folder. */
  logLevel?: string
  record: (e: Omit<FaultEvent, 't'>) => void
}

export class FaultCluster {
  readonly slots: Slot[] = []
  private readonly init: ClusterInit
  /** Processes whose exit the harness caused; any other exit is a crash. */
  private readonly expected = new Set<PeerProcess>()
  /** Each exited process's output being saved to the run folder. */
  private readonly saving: Array<Promise<void>> = []

  constructor(init: ClusterInit) {
    this.init = init
  }

  /** Starts the first peer alone (it bootstraps the cluster), then the rest seeded from it. */
  async startAll(): Promise<void> {
    for (let i = 0; i < this.init.size; i++) {
      this.slots.push({ name: `p${i}`, data: join(this.init.dir, `data-p${i}`), httpPort: await freePort(), p2pPort: await freePort(), id: '', p2p: '', http: '', proc: undefined, state: 'down', starts: 0 })
    }
    await this.launch(this.slots[0]!, [])
    await Promise.all(this.slots.slice(1).map(s => this.launch(s, [this.slots[0]!.p2p])))
  }

  up(): Slot[] {
    return this.slots.filter(s => s.state === 'up')
  }

  async kill(slots: Slot[], signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', kind: 'kill' | 'stop-all' = 'kill'): Promise<void> {
    this.init.record({ kind, peers: slots.map(s => s.name), detail: signal })
    await Promise.all(slots.map(async s => {
      const proc = s.proc!
      this.expected.add(proc)
      if (s.state === 'paused') proc.kill('SIGCONT')
      proc.kill(signal)
      const timer = setTimeout(() => { proc.kill('SIGKILL') }, STOP_TIMEOUT_MS)
      await proc.exited
      clearTimeout(timer)
      s.state = 'down'
    }))
  }

  /** Starts stopped peers again on their folders and ports, seeded with every other peer. */
  async restart(slots: Slot[]): Promise<void> {
    await Promise.all(slots.map(s => this.launch(s, this.slots.filter(o => o !== s).map(o => o.p2p))))
  }

  pause(slot: Slot): void {
    slot.proc!.kill('SIGSTOP')
    slot.state = 'paused'
    this.init.record({ kind: 'pause', peers: [slot.name] })
  }

  resume(slot: Slot): void {
    slot.proc!.kill('SIGCONT')
    slot.state = 'up'
    this.init.record({ kind: 'resume', peers: [slot.name] })
  }

  /**
   * Cuts libp2p between `side` and `rest`, both ways, through each peer's
   * fault switch. Returns the peers whose switch did not answer (the cut is
   * then one-sided there, which the gater of the other side still enforces).
   */
  async partition(side: Slot[], rest: Slot[]): Promise<string[]> {
    this.init.record({ kind: 'block', peers: side.map(s => s.name), detail: `from ${rest.map(r => r.name).join(',')}` })
    const failed = await Promise.all([...side.map(s => this.switch(s, 'block', rest)), ...rest.map(r => this.switch(r, 'block', side))])
    return failed.filter(f => f !== undefined)
  }

  /** Lifts every cut on the running peers; returns the peers whose switch did not answer. */
  async heal(): Promise<string[]> {
    const failed = await Promise.all(this.up().map(s => this.switch(s, 'heal', undefined)))
    this.init.record({ kind: 'heal', peers: this.up().map(s => s.name) })
    return failed.filter(f => f !== undefined)
  }

  private async switch(slot: Slot, action: 'block' | 'heal', peers: Slot[] | undefined): Promise<string | undefined> {
    for (let attempt = 0; attempt < SWITCH_TRIES_MAX; attempt++) {
      try {
        const res = await httpJson(`${slot.http}/_faults/${action}`, { body: peers === undefined ? {} : { peers: peers.map(p => p.id) }, timeoutMs: SWITCH_TIMEOUT_MS })
        if (res.status === 200) return undefined
      } catch {
        // slow to answer (just resumed, or busy): ask again
      }
    }
    return `${slot.name}: /_faults/${action} did not answer`
  }

  /**
   * True once the running peers all see each other alive, hold all 256 partitions between them and, when
   * `voters` is given, every one of them reports that many voters. (A restarted
   * peer reports no voters in /status until the voter set next changes, so
   * after restarts only the partitions are awaited.)
   */
  async formed(voters?: number): Promise<boolean> {
    try {
      const up = this.up()
      const views = await Promise.all(up.map(async s => (await httpJson<{ leases: { voters: string[], held: unknown[] }, members: Array<{ state: string }> }>(`${s.http}/status`, { timeoutMs: 2_000 })).body))
      // One cluster: every running peer sees every running peer alive (the majority side could hold all 256 alone).
      return views.every(v => v.members.filter(m => m.state === 'alive').length === up.length)
        && (voters === undefined || views.every(v => v.leases.voters.length === voters)) && views.reduce((n, v) => n + v.leases.held.length, 0) === 256
    } catch {
      return false
    }
  }

  async waitFormed(voters: number | undefined, timeoutMs: number): Promise<number> {
    const started = performance.now()
    while (performance.now() - started < timeoutMs) {
      if (await this.formed(voters)) return performance.now() - started
      await sleep(200)
    }
    throw new Error(`the running peers did not all see each other alive and hold the partitions${voters === undefined ? '' : ` with ${voters} voters`} within ${timeoutMs} ms`)
  }

  /** Kills whatever still runs (paused peers are continued first) and waits for the exits. */
  async cleanup(): Promise<void> {
    const running = this.slots.filter(s => s.proc !== undefined && s.state !== 'down')
    await this.kill(running).catch((err: unknown) => { process.stderr.write(`fault cluster cleanup: ${(err as Error).message}\n`) })
    await Promise.all(this.saving)
  }

  private async launch(slot: Slot, seeds: string[]): Promise<void> {
    const args = ['start', '--port', String(slot.httpPort), '--listen', `/ip4/127.0.0.1/tcp/${slot.p2pPort}`, '--data', slot.data,
      '--log-level', this.init.logLevel ?? 'warn', ...FAST_MEMBERSHIP_FLAGS, '--lease-ms', String(this.init.leaseMs), '--app', FAULT_APP,
      ...seeds.flatMap(s => ['--seed', s])]
    const proc = runCli(args, { TROUPE_FAULTS: '1', LEDGER_FILE: join(this.init.dir, `ledger-${slot.name}.jsonl`), SINK_URL: this.init.sinkUrl, FAULT_PEER: slot.name })
    const n = ++slot.starts
    slot.proc = proc
    const pid = proc.proc.pid
    this.saving.push(proc.exited.then(async ({ code, signal }) => {
      const crashed = !this.expected.has(proc)
      this.init.record({ kind: 'exit', peers: [slot.name], pid, detail: `${crashed ? 'unexpected ' : ''}${signal ?? `code ${code}`}` })
      if (crashed) slot.state = 'down'
      await writeFile(join(this.init.dir, `output-${slot.name}-${n}.log`), proc.output())
    }).catch((err: unknown) => { process.stderr.write(`${slot.name}: could not save its output: ${(err as Error).message}\n`) }))
    const [, id] = await proc.waitFor(/troupe peer (\S+)/, START_TIMEOUT_MS)
    const [, p2p] = await proc.waitFor(/p2p:\s+(\S+)/, START_TIMEOUT_MS)
    const [, http] = await proc.waitFor(/http: (\S+)/, START_TIMEOUT_MS)
    if (slot.id !== '' && slot.id !== id) throw new Error(`${slot.name} came back as ${id}, was ${slot.id}`)
    Object.assign(slot, { id, p2p, http, state: 'up' })
    this.init.record({ kind: 'start', peers: [slot.name], pid })
  }
}
