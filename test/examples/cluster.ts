// A 3-peer cluster of an example app, for the example tests: the app is loaded
// the way `troupe start --app examples/<name>` loads it (loadApp, through tsx),
// and the peer comes from dist/ too, so the app's 'troupe' import and the peer
// share one copy of the library. Real libp2p on 127.0.0.1, real HTTP, temp data.
import { createPeer, loadApp, silentLogger, type App, type Peer } from '../../dist/index.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const PARTITIONS = 16
const lease = { partitions: PARTITIONS, leaseMs: 1_500, renewIntervalMs: 500, roundTimeoutMs: 250, tickMaxMs: 100, fallbackDelayMs: 800, handoffStableMs: 500, configStableMs: 500, configRetryMs: 300 }
const membership = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }

export interface Cluster {
  app: App
  peers: Peer[]
  stop(): Promise<void>
}

/** Starts 3 peers of the app in `folder` and waits until every partition is held and all 3 vote. */
export async function startCluster(folder: string, size = 3): Promise<Cluster> {
  const app = await loadApp(folder)
  const peers: Peer[] = []
  const removes: Array<() => Promise<void>> = []
  const stop = async (): Promise<void> => {
    for (const p of peers) await p.stop()
    for (const r of removes) await r()
  }
  try {
    for (let i = 0; i < size; i++) {
      const dir = await tempDir('troupe-example-')
      removes.push(dir.remove)
      const seeds = i === 0 ? [] : [peers[0]!.multiaddrs[0]!]
      peers.push(await createPeer({ app, listen: ['/ip4/127.0.0.1/tcp/0'], http: { port: 0 }, dataDir: dir.path, logger: silentLogger, membership, lease, seeds }))
    }
    await waitFor('every partition held and every peer voting', () => {
      for (let p = 0; p < PARTITIONS; p++) if (!peers.some(peer => peer.leases.held(p) !== undefined)) return false
      return peers.every(peer => peer.leases.status().voters.length === size)
    }, 30_000)
  } catch (err) {
    await stop()
    throw err
  }
  return { app, peers, stop }
}

export async function post(peer: Peer, action: string, body: unknown): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${peer.httpUrl}/api/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: await res.json() }
}

export async function get(peer: Peer, action: string, query: Record<string, string>): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${peer.httpUrl}/api/${action}?${new URLSearchParams(query).toString()}`)
  return { status: res.status, json: await res.json() }
}
