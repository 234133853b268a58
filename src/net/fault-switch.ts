// A test-only network cut, for the fault harness (test/faults/harness): when
// a peer is started with `TROUPE_FAULTS=1`, its HTTP server answers
//   POST /_faults/block { peers: [peerId, ...] }  -> refuse and drop libp2p connections with them
//   POST /_faults/heal  { peers?: [...] }          -> allow them again (all when `peers` is absent)
//   GET  /_faults/blocked                          -> { blocked: [peerId, ...] }
// (admin routes: see src/http/auth.ts).
// Blocking is a connection-gater deny (dials and inbound handshakes) plus an
// abort of the connections already open, so from both sides it looks like a
// network partition. HTTP is not touched. Without the variable none of this
// exists: the gater is not installed and the routes answer 404.

import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Hono, Env } from 'hono'

/** The environment variable that turns the switch on (`1`); never set it in production. */
export const FAULTS_ENV = 'TROUPE_FAULTS'
/** Peer ids per block request: a harness cuts a handful of peers, not a crowd. */
export const FAULT_PEERS_MAX = 64

/** What the switch needs of the libp2p node: its open connections. */
export interface FaultNode {
  getConnections(): Array<{ remotePeer: PeerId, abort(err: Error): void }>
}

export class FaultSwitch {
  private readonly blocked = new Set<string>()
  private node: FaultNode | undefined

  /** Deny every stage of a connection with a blocked peer, in either direction. */
  readonly gater: ConnectionGater = {
    denyDialPeer: peer => this.isBlocked(peer),
    denyOutboundConnection: peer => this.isBlocked(peer),
    denyInboundEncryptedConnection: peer => this.isBlocked(peer),
    denyOutboundEncryptedConnection: peer => this.isBlocked(peer),
    denyInboundUpgradedConnection: peer => this.isBlocked(peer),
    denyOutboundUpgradedConnection: peer => this.isBlocked(peer),
  }

  /** Called once the node exists, so `block` can drop open connections. */
  attach(node: FaultNode): void {
    this.node = node
  }

  block(peers: readonly string[]): void {
    for (const p of peers) this.blocked.add(p)
    for (const conn of this.node?.getConnections() ?? []) {
      if (this.blocked.has(conn.remotePeer.toString())) conn.abort(new Error('fault switch: partitioned from this peer'))
    }
  }

  heal(peers?: readonly string[]): void {
    if (peers === undefined) this.blocked.clear()
    else for (const p of peers) this.blocked.delete(p)
  }

  list(): string[] {
    return [...this.blocked].sort()
  }

  private isBlocked(peer: PeerId): boolean {
    return this.blocked.has(peer.toString())
  }
}

/** True when the environment asks for the switch. */
export function faultsEnabled(env: Record<string, string | undefined>): boolean {
  return env[FAULTS_ENV] === '1'
}

/** Registers `POST /_faults/block`, `POST /_faults/heal` and `GET /_faults/blocked` on the peer's HTTP app. */
export function faultRoutes<E extends Env>(app: Hono<E>, faults: FaultSwitch): void {
  app.get('/_faults/blocked', c => c.json({ blocked: faults.list() }))
  app.post('/_faults/block', async c => {
    const peers = peerList(await c.req.json().catch(() => undefined))
    if (peers === undefined) return c.json({ error: { name: 'ValidationError', message: 'expected { peers: [peerId, ...] }', code: 'ERR_VALIDATION', retryable: false } }, 422)
    faults.block(peers)
    return c.json({ blocked: faults.list() })
  })
  app.post('/_faults/heal', async c => {
    const body = await c.req.json().catch(() => ({})) as { peers?: unknown }
    const peers = body?.peers === undefined ? undefined : peerList(body)
    if (body?.peers !== undefined && peers === undefined) return c.json({ error: { name: 'ValidationError', message: 'expected { peers?: [peerId, ...] }', code: 'ERR_VALIDATION', retryable: false } }, 422)
    faults.heal(peers)
    return c.json({ blocked: faults.list() })
  })
}

function peerList(body: unknown): string[] | undefined {
  const peers = (body as { peers?: unknown } | undefined)?.peers
  if (!Array.isArray(peers) || peers.length > FAULT_PEERS_MAX) return undefined
  if (!peers.every(p => typeof p === 'string' && p.length > 0 && p.length <= 256)) return undefined
  return peers as string[]
}
