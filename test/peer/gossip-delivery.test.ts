// Gossip among real peers without a gossipsub mesh (GOSSIP_MESH_DEGREE 0):
// each peer receives a message once, from its author's flood publish, instead
// of again from every peer of its mesh; and a peer cut off from the author
// still gets the message, pulled after the IHAVE of a peer that has it.

import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import { afterEach, describe, expect, it } from 'vitest'
import { createPeer, type Peer } from '../../src/index.js'
import type { TroupeNode } from '../../src/net/node.js'
import { silentLogger } from '../../src/util/logger.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const TOPIC = 'troupe-test/delivery'
const fast = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start(seeds: string[] = []): Promise<Peer> {
  const dir = await tempDir()
  const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], http: { port: 0 }, logger: silentLogger, membership: fast, dataDir: dir.path, faults: true, seeds })
  cleanups.push(async () => {
    await peer.stop()
    await dir.remove()
  })
  return peer
}

/** The peer's gossipsub (the peer does not expose its libp2p node). */
const pubsubOf = (p: Peer): GossipSub => (p as unknown as { p: { node: TroupeNode } }).p.node.services.pubsub as unknown as GossipSub

/** Counts every copy of a message on TOPIC that reaches `p`'s gossipsub (duplicates included), and the first deliveries by data. */
function listen(p: Peer): { copies: () => number, delivered: Set<string> } {
  const ps = pubsubOf(p) as unknown as { handleReceivedMessage: (from: unknown, msg: { topic: string }) => Promise<void> }
  const original = ps.handleReceivedMessage.bind(ps)
  let copies = 0
  ps.handleReceivedMessage = async (from, msg) => {
    if (msg.topic === TOPIC) copies++
    return original(from, msg)
  }
  const delivered = new Set<string>()
  pubsubOf(p).addEventListener('gossipsub:message', (e) => {
    if (e.detail.msg.topic === TOPIC) delivered.add(Buffer.from(e.detail.msg.data).toString())
  })
  pubsubOf(p).subscribe(TOPIC)
  return { copies: () => copies, delivered }
}

describe('gossip without a mesh', () => {
  it('reaches every peer once from its author, and a peer cut off from the author through another peer', async () => {
    const a = await start()
    const b = await start([a.multiaddrs[0]!])
    const c = await start([a.multiaddrs[0]!])
    const all = [a, b, c]
    await waitFor('every peer to see the others', () => all.every(p => p.members().filter(m => m.state === 'alive').length === 3))
    const heard = new Map(all.map(p => [p, listen(p)]))
    await waitFor('every peer to know the others on the topic', () => all.every(p => pubsubOf(p).getSubscribers(TOPIC).length === 2), 10_000)
    // Two gossipsub heartbeats (1 s each): a mesh, were there one, would have formed.
    await new Promise(r => setTimeout(r, 2_500))

    for (let i = 0; i < 20; i++) await pubsubOf(a).publish(TOPIC, Buffer.from(`m${i}`))
    await waitFor('b and c to receive all 20', () => heard.get(b)!.delivered.size === 20 && heard.get(c)!.delivered.size === 20)
    // Give forwarded copies, if any, time to arrive.
    await new Promise(r => setTimeout(r, 500))
    expect(heard.get(b)!.copies()).toBe(20)
    expect(heard.get(c)!.copies()).toBe(20)

    // a and b cut apart: a's message reaches c directly, and b by c's gossip (IHAVE, then IWANT).
    const res = await fetch(`${a.httpUrl}/_faults/block`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ peers: [b.id] }) })
    expect(res.status).toBe(200)
    await waitFor('a to lose b on the topic', () => !pubsubOf(a).getSubscribers(TOPIC).some(id => id.toString() === b.id), 10_000)
    await pubsubOf(a).publish(TOPIC, Buffer.from('after-cut'))
    await waitFor('c to receive it', () => heard.get(c)!.delivered.has('after-cut'))
    await waitFor('b to receive it through c', () => heard.get(b)!.delivered.has('after-cut'), 10_000)
  })
})
