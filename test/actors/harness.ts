// Actor systems in one process: MemoryNetwork messengers, real lmdb stores in
// temp folders, and a StaticAssignment as claims and holder directory. A
// "killed" peer stops answering and stops seeing claim changes, without any
// graceful handover.
import type { ActorSystemInit } from '../../src/actors/options.js'
import { ActorSystem } from '../../src/actors/system.js'
import { openStore, type Store } from '../../src/store/store.js'
import { hashPartition, StaticAssignment, type ClaimsChange, type PartitionClaims, type PartitionGrant } from '../../src/tasks/claims.js'
import type { Clock } from '../../src/util/clock.js'
import { silentLogger } from '../../src/util/logger.js'
import { seededRandom } from '../../src/util/random.js'
import type { TroupeNode } from '../../src/net/node.js'
import { Libp2pMessenger } from '../../src/wire/libp2p-messenger.js'
import { MemoryNetwork, type MemoryNetworkInit } from '../../src/wire/memory-messenger.js'
import type { Messenger } from '../../src/wire/messenger.js'
import { tempDir } from '../helpers/tmp.js'
import { connect, startNode } from '../wire/helpers.js'

/** StaticAssignment's fences are `<partition>:<count>`: order by the count. */
export const staticFenceOrder = (a: string, b: string): number => Number(a.split(':')[1]) - Number(b.split(':')[1])

/** A peer's view of the assignment that goes silent when the peer is killed. */
class KillableClaims implements PartitionClaims {
  dead = false
  /** Caps every grant's validUntil, to let a lease run out without a 'lost' event. */
  validUntilMax = Number.POSITIVE_INFINITY
  constructor(private readonly inner: PartitionClaims) {}
  get partitions(): number { return this.inner.partitions }
  partitionOf(key: string): number { return this.inner.partitionOf(key) }
  held(p: number): PartitionGrant | undefined {
    const g = this.dead ? undefined : this.inner.held(p)
    return g === undefined ? undefined : { fence: g.fence, validUntil: Math.min(g.validUntil, this.validUntilMax) }
  }
  onChange(listener: (event: ClaimsChange) => void): () => void {
    return this.inner.onChange((e) => { if (!this.dead) listener(e) })
  }
}

/** Real monotonic time plus an offset tests move forward. */
export class OffsetClock implements Clock {
  private offset = 0
  now(): number { return performance.now() + this.offset }
  advance(ms: number): void { this.offset += ms }
}

export type Transport = 'memory' | 'libp2p'

export interface ActorPeer {
  name: string
  /** The peer id the messengers use: the name on the memory network, the libp2p peer id otherwise. */
  id: string
  store: Store
  messenger: Messenger & { stop: () => Promise<void> }
  node?: TroupeNode
  system: ActorSystem
  claims: KillableClaims
}

export interface ActorClusterInit {
  peers?: string[]
  partitions?: number
  definitions: (peer: string) => ActorSystemInit['actors']
  init?: Omit<ActorSystemInit, 'actors'>
  network?: MemoryNetworkInit
  transport?: Transport
  /** Every peer is a voter, as the lease voters are in a peer: saves and activations need a majority of them. */
  quorum?: boolean
  /** Who `peer`'s holder directory names for partition p (default: the holder); `holder` is who holds it. */
  holderOf?: (peer: string, p: number, holder: string | undefined) => string | undefined
}

export class ActorCluster {
  readonly net: MemoryNetwork
  readonly clock = new OffsetClock()
  readonly assignment: StaticAssignment
  readonly peers = new Map<string, ActorPeer>()
  readonly names: string[]
  private readonly dead = new Set<string>()
  private readonly dirs: Array<{ remove: () => Promise<void> }> = []

  private constructor(init: ActorClusterInit) {
    this.names = init.peers ?? ['a', 'b', 'c']
    this.net = new MemoryNetwork(init.network)
    this.assignment = new StaticAssignment(init.partitions ?? 16)
    this.assignment.spread(this.names)
  }

  /**
   * Starts one system per name. Tests speak of peers by name ('a', 'b', 'c')
   * on every transport: the assignment is kept by name, and the directory and
   * successors translate names to the peer ids the messengers use.
   */
  static async start(init: ActorClusterInit): Promise<ActorCluster> {
    const cluster = new ActorCluster(init)
    const links = await cluster.links(init.transport ?? 'memory')
    let seed = 1
    for (const [i, name] of cluster.names.entries()) {
      const dir = await tempDir('troupe-actors-')
      cluster.dirs.push(dir)
      const store = await openStore(dir.path)
      const { id, messenger, node } = links[i] as Link
      await messenger.start()
      const claims = new KillableClaims(cluster.assignment.claimsFor(name))
      const system = new ActorSystem({
        self: id, messenger, claims, store, clock: cluster.clock, fenceOrder: staticFenceOrder, logger: silentLogger, random: seededRandom(seed++),
        directory: { holderOf: p => cluster.idOf(init.holderOf?.(name, p, cluster.assignment.holder(p)) ?? cluster.assignment.holder(p)) },
        successors: { successorsOf: (p, count) => cluster.successorsOf(p, count).map(n => cluster.idOf(n) as string) },
        quorum: init.quorum === true ? () => cluster.voters.map(n => cluster.idOf(n) as string) : undefined,
      }, { ...init.init, actors: init.definitions(name) })
      await system.start()
      cluster.peers.set(name, { name, id, store, messenger, node, system, claims })
    }
    if (init.quorum === true) cluster.setVoters(cluster.names, 0)
    return cluster
  }

  /** The voter set (names), as the lease layer would announce it to every live peer. */
  voters: string[] = []

  setVoters(names: string[], settleMs: number): void {
    this.voters = [...names]
    const ids = names.map(n => this.idOf(n) as string)
    for (const p of this.peers.values()) if (!this.dead.has(p.name)) p.system.votersChanged(ids, settleMs)
  }

  private async links(transport: Transport): Promise<Link[]> {
    const quiet = { warn: () => {}, debug: () => {} }
    if (transport === 'memory') return this.names.map(name => ({ id: name, messenger: this.net.messenger(name, { logger: quiet }) }))
    const nodes = await Promise.all(this.names.map(() => startNode()))
    for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) await connect(nodes[i] as TroupeNode, nodes[j] as TroupeNode)
    return nodes.map(node => ({ id: node.peerId.toString(), node, messenger: new Libp2pMessenger({ node, logger: quiet }) }))
  }

  idOf(name: string | undefined): string | undefined {
    return name === undefined ? undefined : this.peers.get(name)?.id
  }

  peer(name: string): ActorPeer {
    const p = this.peers.get(name)
    if (p === undefined) throw new Error(`no peer ${name}`)
    return p
  }

  /** Live peers in a fixed rotation that starts at the partition's first spread holder. */
  successorsOf(p: number, count: number): string[] {
    const n = this.names.length
    return Array.from({ length: n }, (_, i) => this.names[(p + i) % n] as string).filter(x => !this.dead.has(x)).slice(0, count)
  }

  partitionOf(address: string): number {
    return hashPartition(address, this.assignment.partitions)
  }

  holderOf(address: string): string | undefined {
    return this.assignment.holder(this.partitionOf(address))
  }

  /** The first `type/k<i>` address whose partition `peer` holds. */
  addressOn(peer: string, type: string, from = 0): string {
    for (let i = from; i < 100_000; i++) if (this.holderOf(`${type}/k${i}`) === peer) return `${type}/k${i}`
    throw new Error(`no address on ${peer}`)
  }

  /** Stops answering at once: no graceful handover, no more claim events; its partitions stay where they are until moved. */
  async kill(name: string): Promise<void> {
    const p = this.peer(name)
    this.dead.add(name)
    p.claims.dead = true
    await p.messenger.stop()
    await p.node?.stop()
  }

  async close(): Promise<void> {
    for (const p of this.peers.values()) {
      if (!this.dead.has(p.name)) await p.system.stop()
      await p.messenger.stop()
      await p.node?.stop()
      await p.store.close()
    }
    await Promise.all(this.dirs.map(d => d.remove()))
  }
}

interface Link {
  id: string
  messenger: Messenger & { start: () => Promise<void>, stop: () => Promise<void> }
  node?: TroupeNode
}

/** A promise and its opener, for handlers that must hang until a test lets go. */
export function gate(): { promise: Promise<void>, open: () => void } {
  let open!: () => void
  const promise = new Promise<void>((r) => { open = r })
  return { promise, open }
}

/** Resolves once `fn` returns true, polling on a short timer. */
export async function until(fn: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(r => setTimeout(r, 5))
  }
}
