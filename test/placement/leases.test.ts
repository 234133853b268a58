// The lease protocol over real libp2p: peers in one process share one
// monotonic clock, so hold intervals from different peers compare directly.

import { afterEach, describe, expect, it } from 'vitest'
import { createPeer, type Peer } from '../../src/index.js'
import { silentLogger, type Logger } from '../../src/util/logger.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const PARTITIONS = 32
const lease = {
  partitions: PARTITIONS, leaseMs: 1_500, renewIntervalMs: 500, roundTimeoutMs: 300, tickMaxMs: 100,
  fallbackDelayMs: 800, handoffStableMs: 500, configStableMs: 500, configRetryMs: 300, voterDeadReplaceMs: 3_000,
}
const membership = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start(seed?: string, logger: Logger = silentLogger): Promise<Peer> {
  const dir = await tempDir()
  const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], http: false, logger, dataDir: dir.path, membership, lease, seeds: seed === undefined ? [] : [seed] })
  cleanups.push(async () => { await peer.stop(); await dir.remove() })
  return peer
}

/** Samples every peer's view of every partition; fails on two holders at one instant. */
function watchExclusive(peers: Peer[]): { stop: () => void, violations: string[], samples: number } {
  const state = { violations: [] as string[], samples: 0, stop: () => {} }
  const timer = setInterval(() => {
    state.samples++
    for (let p = 0; p < PARTITIONS; p++) {
      const holders = peers.filter(peer => peer.leases.held(p) !== undefined).map(peer => peer.id.slice(-6))
      if (holders.length > 1) state.violations.push(`partition ${p} held by ${holders.join(' and ')}`)
    }
  }, 10)
  state.stop = () => clearInterval(timer)
  return state
}

const heldBy = (peers: Peer[]): number => {
  let n = 0
  for (let p = 0; p < PARTITIONS; p++) if (peers.some(peer => peer.leases.held(p) !== undefined)) n++
  return n
}

describe('leases over libp2p', () => {
  it('3 peers: voters grow to 3, every partition gets one holder, spread over the peers', async () => {
    const a = await start()
    const b = await start(a.multiaddrs[0])
    const c = await start(a.multiaddrs[0])
    const peers = [a, b, c]
    const watch = watchExclusive(peers)
    try {
      await waitFor('3 voters', () => peers.every(p => p.leases.status().voters.length === 3), 20_000)
      await waitFor('every partition held', () => heldBy(peers) === PARTITIONS, 20_000)
      await waitFor('partitions spread over all 3 peers', () => peers.every(p => p.leases.status().held.length > 0), 20_000)
      // The status explains a peer's proposer: every partition counted in one phase, the held ones as holding.
      for (const peer of peers) {
        const { proposer, held } = peer.leases.status()
        expect(Object.values(proposer?.phases ?? {}).reduce((n, k) => n + k, 0)).toBe(PARTITIONS)
        expect(proposer?.phases.holding ?? 0).toBeGreaterThanOrEqual(held.length)
        expect(proposer).toMatchObject({ readyInMs: 0, recovering: false, sealing: false, othersAlive: 2 })
      }
    } finally {
      watch.stop()
    }
    expect(watch.samples).toBeGreaterThan(10)
    expect(watch.violations).toEqual([])
  })

  it('a stalled process is reported: counted in the proposer status and warned about once, with the worst lateness', async () => {
    const warnings: Array<{ msg: string, fields?: Record<string, unknown> }> = []
    const logger: Logger = { ...silentLogger, warn: (msg, fields) => { warnings.push({ msg, fields }) }, child: () => logger }
    const a = await start(undefined, logger)
    await waitFor('every partition held', () => heldBy([a]) === PARTITIONS, 20_000)
    const before = a.leases.status().proposer?.stalls ?? 0
    // Two stalls longer than the renewal interval (500 ms): the event loop does nothing else meanwhile.
    for (const ms of [700, 900]) {
      const until = performance.now() + ms
      while (performance.now() < until) { /* a stalled process */ }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const { stalls, worstStallMs } = a.leases.status().proposer ?? { stalls: 0, worstStallMs: 0 }
    expect(stalls - before).toBeGreaterThanOrEqual(2)
    expect(worstStallMs).toBeGreaterThanOrEqual(500)
    // One warning however many stalls: the test lasts far less than STALL_WARN_INTERVAL_MS.
    const stallWarnings = warnings.filter(w => w.msg.includes('stalled'))
    expect(stallWarnings).toHaveLength(1)
    expect(stallWarnings[0]?.fields).toMatchObject({ leaseMs: 1_500, renewIntervalMs: 500 })
    expect(stallWarnings[0]?.fields?.worstMs).toBeGreaterThanOrEqual(500)
  })
})
