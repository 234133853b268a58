/* global process, URL */
// N Troupe peers, each in its own process, seeded from the first, with the
// shipped lease term and membership intervals (the leases pair: the fast ones
// of the tests).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startChild } from './proc.mjs'
import { nowMs, sleep } from './stats.mjs'

const CHILD = fileURLToPath(new URL('./peer-child.mjs', import.meta.url))
const COMPAT = fileURLToPath(new URL('../../../dist/compat.js', import.meta.url))
const V8 = await import(new URL('../../../dist/cli/v8-flags.js', import.meta.url).href).catch(() => undefined)
/**
 * The V8 flags `troupe start` sets in its own process (src/cli/v8-flags.ts; TROUPE_V8_FLAGS overrides, empty = none):
 * every bench peer gets them too, on its command line, so their cost shows in the speed pairs.
 */
export const PEER_V8_FLAGS = (process.env.TROUPE_V8_FLAGS ?? V8?.DEFAULT_V8_FLAGS ?? '').split(' ').filter(Boolean)

export const PARTITIONS = 64
/** Fast placement knobs, so a cluster forms in seconds; shared by both timing sets below. */
const FORMATION = { fallbackDelayMs: 800, handoffStableMs: 500, configStableMs: 500, configRetryMs: 300 }
/**
 * The speed pairs also keep the shipped fallback delay (3 s): with FORMATION's 800 ms, shorter than the 2 s renewal,
 * every peer probed the partitions it ranks second for between two renewals of their holder (a Prepare to every
 * voter each time, ~10 a second per peer at 10 peers), which a production peer does not.
 * The speed pairs run with the shipped lease term and renewal (6 s, every 2 s; src/lease/constants.ts) and the
 * shipped membership intervals: shorter ones cost idle CPU (10 peers on 2 cores) and make a starved peer lose
 * its leases, neither of which a production peer pays.
 */
/** BENCH_LEASE (JSON): more lease params for the speed pairs' peers, for A/B runs of its knobs. */
export const SPEED_LEASE = { partitions: PARTITIONS, leaseMs: 6_000, renewIntervalMs: 2_000, roundTimeoutMs: 1_000, tickMaxMs: 500, ...FORMATION, fallbackDelayMs: 3_000, ...JSON.parse(process.env.BENCH_LEASE ?? '{}') }
/** BENCH_MEMBERSHIP (JSON): membership options for the speed pairs' peers, for A/B runs of its knobs (default: the shipped ones). */
export const SPEED_MEMBERSHIP = JSON.parse(process.env.BENCH_MEMBERSHIP ?? '{}')
/** The leases pair measures takeover, so it runs the fast term of the tests (1.5 s) and a fast failure detector. */
export const LEASE = { partitions: PARTITIONS, leaseMs: 1_500, renewIntervalMs: 500, roundTimeoutMs: 250, tickMaxMs: 100, ...FORMATION }
export const MEMBERSHIP = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }

export async function startPeer ({ seeds = [], http = false, tasks = {}, lease = SPEED_LEASE, membership = SPEED_MEMBERSHIP, dataDir }) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'troupe-bench-'))
  const h = await startChild(CHILD, {
    // BENCH_PROF=<dir>: each peer writes a V8 CPU profile there when it stops. PEER_NODE_FLAGS: more node flags for
    // every peer (e.g. `--max-semi-space-size=64`), for A/B runs of flags only the command line takes.
    execArgv: [...PEER_V8_FLAGS, ...(process.env.PEER_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', COMPAT, ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [])],
    env: { BENCH_PEER: JSON.stringify({ seeds, dataDir: dir, http, lease, membership, tasks }) },
  })
  h.dataDir = dir
  return h
}

/** Starts n peers and waits (bounded) until every partition is held and every peer sees n alive members. */
export async function startCluster (n, { http = false, tasks = {}, lease = SPEED_LEASE, membership = SPEED_MEMBERSHIP, timeoutMs = 60_000 } = {}) {
  const t0 = nowMs()
  const peers = [await startPeer({ http, tasks, lease, membership })]
  const seeds = [peers[0].ready.multiaddr]
  peers.push(...await Promise.all(Array.from({ length: n - 1 }, () => startPeer({ seeds, http, tasks, lease, membership }))))
  const cluster = {
    peers,
    async stop () {
      await Promise.all(peers.map(p => p.stop()))
      for (const p of peers) rmSync(p.dataDir, { recursive: true, force: true })
    },
    async holders () {
      const held = new Map()
      for (const [i, p] of peers.entries()) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue
        const s = await p.call('status')
        for (const part of s.held) held.set(part, i)
      }
      return held
    },
  }
  try {
    while (true) {
      const statuses = await Promise.all(peers.map(p => p.call('status')))
      const held = new Set(statuses.flatMap(s => s.held))
      if (held.size === lease.partitions && statuses.every(s => s.members === n)) break
      if (nowMs() - t0 > timeoutMs) throw new Error(`cluster of ${n}: ${held.size}/${lease.partitions} partitions held after ${timeoutMs} ms`)
      await sleep(100)
    }
  } catch (err) {
    await cluster.stop()
    throw err
  }
  cluster.formedMs = nowMs() - t0
  return cluster
}

/**
 * Waits (bounded) until no partition has changed holder for `stableMs`: right after formation partitions still move
 * to their desired owners (each move costs a release, an acquisition and a sync round with every peer), which a
 * production cluster is past. Returns how long it waited (ms), or -1 if it gave up after `timeoutMs`.
 */
export async function waitStable (cluster, { stableMs = 3_000, timeoutMs = 60_000 } = {}) {
  const t0 = nowMs()
  let last = ''; let since = t0
  while (nowMs() - t0 < timeoutMs) {
    const held = (await Promise.all(cluster.peers.map(p => p.call('status')))).map(s => [...s.held].sort((a, b) => a - b).join(',')).join('|')
    if (held !== last) { last = held; since = nowMs() }
    if (nowMs() - since >= stableMs) return nowMs() - t0
    await sleep(200)
  }
  return -1
}
