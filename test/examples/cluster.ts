// A 3-peer cluster of an example app, for the example tests: the app is loaded
// the way `troupe start --app examples/<name>` loads it (loadApp, through tsx),
// and the peers come from dist/ too, so the app's 'troupe' import and the peers
// share one copy of the library. createTestCluster: real libp2p on 127.0.0.1,
// real HTTP, temp data, ready once formed and lease placement has settled.
import { createTestCluster, loadApp, type App, type Peer } from '../../dist/index.js'

export interface Cluster {
  app: App
  peers: readonly Peer[]
  stop(): Promise<void>
}

/** Starts `size` peers of the app in `folder` and waits until the cluster is ready (see TestCluster.ready). */
export async function startCluster(folder: string, size = 3): Promise<Cluster> {
  const app = await loadApp(folder)
  const cluster = await createTestCluster({ peers: size, app })
  return { app, peers: cluster.peers, stop: () => cluster.close() }
}

export async function post(peer: Peer, action: string, body: unknown): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${peer.httpUrl}/api/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, json: await res.json() }
}

export async function get(peer: Peer, action: string, query: Record<string, string>): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${peer.httpUrl}/api/${action}?${new URLSearchParams(query).toString()}`)
  return { status: res.status, json: await res.json() }
}
