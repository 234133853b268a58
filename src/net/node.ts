// Builds the libp2p node: TCP, noise, yamux, identify and gossipsub. Our own
// protocols (membership, leases, task sync, actor messages) ride on long-lived
// streams registered by their modules; this file only assembles transports.

import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { PrivateKey, PubSub } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import type { ConnectionGater } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import { fastMessageId, messageIdString } from './gossip-id.js'
import { SCORE_THRESHOLDS, scoreParams } from './gossip-score.js'
import { leanNoise } from './lean-noise.js'
import { withHeldWindowUpdates } from './window-updates.js'

/**
 * Peers each peer keeps in its gossipsub mesh for a topic, which it forwards every message it receives to: 0, none.
 * In a cluster every peer is connected to every other and publishes by flooding, so a mesh only sent each message
 * again to peers that had it from its author (two copies per peer at 3 peers, about six at 10).
 */
export const GOSSIP_MESH_DEGREE = 0

/** gossipsub's mesh bounds around a degree `d`, in the proportions of its defaults (6: 4..12, 2 outbound, 4 by score). */
function meshOf(d: number): { D: number, Dlo: number, Dhi: number, Dout: number, Dscore: number } {
  return { D: d, Dlo: Math.max(0, d - 2), Dhi: d * 2, Dout: Math.floor(d / 3), Dscore: Math.floor(d * 2 / 3) }
}

export interface NodeInit {
  privateKey: PrivateKey
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/0`. */
  listen: string[]
  /** Multiaddrs to announce instead of the listen addresses (behind NAT, in containers). */
  announce?: string[]
  connectionGater?: ConnectionGater
  /** Pre-shared key for a private network, see @libp2p/pnet. */
  connectionProtector?: Libp2pOptions['connectionProtector']
}

export type TroupeServices = {
  identify: Identify
  pubsub: PubSub
}

export type TroupeNode = Libp2p<TroupeServices>

export async function createNode(init: NodeInit): Promise<TroupeNode> {
  return createLibp2p<TroupeServices>({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: init.listen, announce: init.announce ?? [] },
    transports: [tcp()],
    // noise with a lean transport phase: same handshake, ciphers and wire bytes, fewer async steps per chunk; falls back to
    // stock noise if noise's shape changes (see lean-noise.ts).
    connectionEncrypters: [leanNoise()],
    // Yamux credits ride with the next frame instead of costing a write each (see window-updates.ts).
    streamMuxers: [withHeldWindowUpdates(yamux())],
    connectionGater: {
      // Loopback and private addresses are where clusters live; libp2p's default gater refuses none of these, but be explicit.
      denyDialMultiaddr: async () => false,
      ...init.connectionGater,
    },
    connectionProtector: init.connectionProtector,
    // Our membership protocol judges liveness with event-loop-lag protection; libp2p's
    // monitor aborts connections on slow pings, which under load cuts healthy peers.
    connectionMonitor: { enabled: false },
    connectionManager: { maxConnections: 512 },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // Peers in a Troupe cluster are all connected to each other; flood publishing keeps first delivery fast.
        floodPublish: true,
        fallbackToFloodsub: false,
        // Every message is signed by its author and checked; topic validators then judge the content (src/net/gossip-score.ts).
        globalSignaturePolicy: 'StrictSign',
        // A copy of a message already accepted is dropped before its signature is checked again (see gossip-id.ts).
        fastMsgIdFn: fastMessageId,
        msgIdToStrFn: messageIdString,
        scoreParams: scoreParams(),
        scoreThresholds: SCORE_THRESHOLDS,
        // No mesh: the author's flood publish reaches every peer it is connected to (all of them, in a cluster), and a
        // peer that missed a message asks for it after the IHAVE of a peer that has it (heartbeat gossip), before sync.
        // With gossipsub's mesh every receiver also forwarded each message to its mesh peers, who had it already.
        ...meshOf(GOSSIP_MESH_DEGREE),
      }) as unknown as (components: unknown) => PubSub,
    },
  })
}
