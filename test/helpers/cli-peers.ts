// Peers started as real processes through `troupe start`, with their data
// folders, and everything torn down after each test (SIGKILL, folders removed).

import { freePort } from './ports.js'
import { runCli, type PeerProcess } from './process.js'
import { tempDir } from './tmp.js'
import { waitFor } from './wait.js'

export interface CliPeer { proc: PeerProcess, http: string, p2p: string, id: string, data: string }

export interface CliPeerOptions {
  seed?: string
  data?: string
  app?: string
  /** Flags after the defaults (a repeated flag's last value wins). */
  extra?: string[]
  env?: Record<string, string>
}

/** Failure-detector timings short enough for tests: suspected after 2 s, dead after 3 s. */
export const FAST_MEMBERSHIP_FLAGS = ['--suspect-after-ms', '2000', '--dead-after-ms', '3000']

export class CliPeers {
  private readonly running: PeerProcess[] = []
  private readonly cleanups: Array<() => Promise<void>> = []

  /** A temporary folder removed at cleanup. */
  async dir(): Promise<string> {
    const d = await tempDir()
    this.cleanups.push(d.remove)
    return d.path
  }

  /** Runs `troupe <args>` and kills it at cleanup if it is still running. */
  run(args: string[], env: Record<string, string> = {}): PeerProcess {
    const proc = runCli(args, env)
    this.running.push(proc)
    return proc
  }

  onCleanup(fn: () => Promise<void>): void {
    this.cleanups.push(fn)
  }

  /** Starts a peer on free ports and waits for its banner. */
  async start(opts: CliPeerOptions = {}): Promise<CliPeer> {
    const data = opts.data ?? await this.dir()
    const proc = this.run(['start', '--port', String(await freePort()), '--listen', `/ip4/127.0.0.1/tcp/${await freePort()}`, '--data', data,
      '--log-level', 'warn', ...FAST_MEMBERSHIP_FLAGS,
      ...(opts.app === undefined ? [] : ['--app', opts.app]),
      ...(opts.seed === undefined ? [] : ['--seed', opts.seed]),
      ...(opts.extra ?? [])], opts.env)
    const [, id] = await proc.waitFor(/troupe peer (\S+)/)
    const [, p2p] = await proc.waitFor(/p2p:\s+(\S+)/)
    const [, http] = await proc.waitFor(/http: (\S+)/)
    return { proc, http: http!, p2p: p2p!, id: id!, data }
  }

  async cleanup(): Promise<void> {
    for (const p of this.running.splice(0)) {
      p.kill('SIGKILL')
      await p.exited
    }
    for (const c of this.cleanups.splice(0).reverse()) await c()
  }
}

/** A lease term short enough for takeover tests: a dead holder's partitions are free again after 1.5 s. */
export const FAST_LEASE_MS = 1_500

export interface LeaseView { cfg: number, voters: string[], held: Array<{ partition: number }> }

/** The lease view a running peer reports in `/status`. */
export async function leaseView(peer: CliPeer): Promise<LeaseView> {
  return (await (await fetch(`${peer.http}/status`)).json() as { leases: LeaseView }).leases
}

/** Waits until no partition has changed holder among `peers` for `quietMs` (placement still hands partitions over after a start). */
export async function placementQuiet(peers: CliPeer[], quietMs = 2_000): Promise<void> {
  let last = ''
  let since = performance.now()
  await waitFor(`no partition to change holder for ${quietMs} ms`, async () => {
    const now = JSON.stringify((await Promise.all(peers.map(leaseView))).map(v => v.held.map(h => h.partition)))
    if (now !== last) {
      last = now
      since = performance.now()
    }
    return performance.now() - since >= quietMs
  }, 60_000, 200)
}

/**
 * A test on a startLeaseCluster: the start alone takes ~12 s on an idle 2-core machine (3 processes, the voter set
 * grown after configStableMs, partitions handed over after handoffStableMs), more under load; above vitest's 30 s.
 */
export const LEASE_CLUSTER_TEST_MS = 90_000

/** Three peers (the second and third seeded from the first), once they agree on 3 voters and hold all 256 partitions between them. */
export async function startLeaseCluster(cli: CliPeers, opts: Omit<CliPeerOptions, 'seed' | 'extra'> = {}): Promise<CliPeer[]> {
  const extra = ['--lease-ms', String(FAST_LEASE_MS)]
  const a = await cli.start({ ...opts, extra })
  const b = await cli.start({ ...opts, extra, seed: a.p2p })
  const c = await cli.start({ ...opts, extra, seed: a.p2p })
  const peers = [a, b, c]
  await waitFor('3 voters and every partition held, spread over the peers', async () => {
    const views = await Promise.all(peers.map(leaseView))
    return views.every(v => v.voters.length === 3) && views.reduce((n, v) => n + v.held.length, 0) === 256 && views.every(v => v.held.length > 0)
  }, 40_000, 200)
  return peers
}
