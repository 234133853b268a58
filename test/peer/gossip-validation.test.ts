// A rogue on the task gossip topic: a plain libp2p node with gossipsub (not a
// Troupe peer, so not a member), joined to a real Troupe peer of an open
// cluster. Its garbage and invalid records are rejected before anything is
// stored, its well-formed records are ignored (it is no member), the reject
// counter moves, and its gossipsub score at the peer drops until the peer
// graylists it: it stops publishing to the rogue and reads nothing it sends.

import { gossipsub, type GossipSub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify, type Identify } from '@libp2p/identify'
import type { PubSub } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { pack } from 'msgpackr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createPeer, defineApp, type Peer } from '../../src/index.js'
import { SCORE_THRESHOLDS } from '../../src/net/gossip-score.js'
import type { TroupeNode } from '../../src/net/node.js'
import { defineTask, TASKS_TOPIC, WIRE_VERSION } from '../../src/tasks/index.js'
import { encodeGossip } from '../../src/tasks/codec.js'
import { compactRecords } from '../../src/tasks/compact.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { silentLogger } from '../../src/util/logger.js'
import { scrape, total } from '../ops/prom-text.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const runs: string[] = []
const app = defineApp({ name: 'gossip-validation', tasks: [defineTask({ name: 'x', scope: 'any', input: z.object({ n: z.number() }), run: (ctx) => { runs.push(ctx.taskId) } })] })

let peer: Peer
let removeDir: () => Promise<void>
let rogue: Libp2p<{ identify: Identify, pubsub: PubSub<GossipsubEvents> }>
/** Messages the rogue received on the task topic. */
let heard = 0

/** The peer's gossipsub, to read the score it gives the rogue (the peer does not expose its libp2p node). */
const peerPubsub = (): GossipSub => (peer as unknown as { p: { node: TroupeNode } }).p.node.services.pubsub as unknown as GossipSub
const rogueScore = (): number => peerPubsub().getScore(rogue.peerId.toString())

const rejected = async (reason: string): Promise<number> => total([await scrape(peer.httpUrl!)], `troupe_gossip_rejected_total{reason="${reason}"}`)
const gossipOut = async (): Promise<number> => total([await scrape(peer.httpUrl!)], 'troupe_gossip_messages_total{direction="out"}')
const ignored = async (reason: string): Promise<number> => total([await scrape(peer.httpUrl!)], `troupe_gossip_ignored_total{reason="${reason}"}`)

beforeAll(async () => {
  const dir = await tempDir()
  removeDir = dir.remove
  // An open cluster (no secret): anyone who reaches the peer can connect, the rogue included.
  peer = await createPeer({ app, listen: ['/ip4/127.0.0.1/tcp/0'], http: { port: 0 }, dataDir: dir.path, logger: silentLogger, lease: { partitions: 8 } })
  await waitFor('the lone peer to hold every partition', () => peer.leases.status().held.length === 8, 15_000)
  rogue = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, floodPublish: true }) },
  })
  rogue.services.pubsub.subscribe(TASKS_TOPIC)
  rogue.services.pubsub.addEventListener('message', () => { heard++ })
  await rogue.dial(multiaddr(peer.multiaddrs[0]!))
  await waitFor('the rogue to see the peer on the task topic', () => rogue.services.pubsub.getSubscribers(TASKS_TOPIC).some(id => id.toString() === peer.id))
  await waitFor('the peer to see the rogue on the task topic', () => peerPubsub().getSubscribers(TASKS_TOPIC).some(id => id.equals(rogue.peerId)))
}, 30_000)

afterAll(async () => {
  await rogue?.stop()
  await peer?.stop()
  await removeDir?.()
})

const publish = (data: Uint8Array): Promise<unknown> => rogue.services.pubsub.publish(TASKS_TOPIC, data)

function record(id: string): ReturnType<typeof newRecord> {
  const now = Date.now()
  return newRecord({ id, name: 'x', scope: 'any', partition: 0, input: { n: 1 }, priority: 0, runAt: now, now, self: rogue.peerId.toString() })
}

describe('gossip validation and scoring', () => {
  // The peer's tasks run 1.5 s after their enqueue: each new task is gossiped first (its deferred gossip, after
  // gossipDeferMs, 1 s). A task that ran at once would not be: on a peer with no other member its outcome is pushed to
  // nobody and only rides along with gossip, and its new record is covered by that outcome.
  it('before anything goes wrong, the peer publishes task gossip to the rogue', async () => {
    await peer.tasks.enqueue('x', { n: 0 }, { delayMs: 1_500 })
    await waitFor('the rogue to hear the peer\'s gossip', () => heard > 0)
    expect(rogueScore()).toBeGreaterThanOrEqual(0)
  })

  it('ignores well-formed records from a peer that is not a member, without penalty', async () => {
    await publish(encodeGossip([record('from-a-stranger')]))
    await waitFor('the message to be ignored', async () => await ignored('not-member') === 1)
    expect(peer.tasks.get('from-a-stranger')).toBeUndefined()
    expect(await rejected('malformed') + await rejected('invalid-record')).toBe(0)
    expect(rogueScore()).toBeGreaterThanOrEqual(0)
  })

  it('rejects garbage and invalid records, stores none of them, and the rogue\'s score drops', async () => {
    await publish(new Uint8Array([0xc1, 0xff, 0x00, 0x13]))
    await waitFor('garbage to be rejected', async () => await rejected('malformed') === 1)
    await waitFor('the score to go negative', () => rogueScore() < 0, 5_000)
    const evil = { ...record('evil'), state: 'done', partition: 10_000 }
    await publish(pack({ v: WIRE_VERSION, ...compactRecords([evil as TaskRecord]) }))
    await publish(pack({ v: WIRE_VERSION, peers: [], records: [['half', 'x'], 42] }))
    await waitFor('invalid records to be rejected', async () => await rejected('invalid-record') === 2)
    expect(peer.tasks.get('evil')).toBeUndefined()
    expect(peer.tasks.get('half')).toBeUndefined()
    expect(peer.tasks.list().map(r => r.id)).not.toContain('from-a-stranger')
  })

  it('a rogue that keeps at it is graylisted: the peer neither publishes to it nor reads it', async () => {
    for (let i = 0; i < 3; i++) await publish(pack({ v: 'not a version', n: i }))
    await waitFor('three more rejects', async () => await rejected('malformed') === 4)
    await waitFor('the score below the graylist threshold', () => rogueScore() < SCORE_THRESHOLDS.graylistThreshold, 5_000)
    // Graylisted: what it sends is dropped unread, so the counter no longer moves.
    for (let i = 0; i < 3; i++) await publish(new Uint8Array([0xc1, i]))
    // Below the publish threshold: the peer's own gossip no longer reaches it.
    const heardBefore = heard
    const gossipedBefore = await gossipOut()
    await peer.tasks.enqueue('x', { n: 1 }, { delayMs: 1_500 })
    // Past the new task's deferred gossip, which the peer published, to others but not to the rogue.
    await waitFor('the peer to gossip the new task', async () => await gossipOut() > gossipedBefore, 5_000)
    // Long enough for the message to reach the rogue, were it still published to (over loopback: milliseconds).
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(await rejected('malformed')).toBe(4)
    expect(heard).toBe(heardBefore)
    // Nothing the rogue sent ever ran: the peer ran only its own two tasks.
    await waitFor('the peer\'s own tasks to run', () => runs.length === 2)
    expect(peer.tasks.list().map(r => r.name)).toEqual(['x', 'x'])
  })
})
