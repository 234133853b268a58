// Peer exchange: addresses learnt through membership gossip go into libp2p's
// peer store, and the peer is dialled so that the cluster forms a full mesh
// (gossipsub and our streams then need no extra hop).

import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { AddressBook } from '../membership/service.js'
import type { TroupeNode } from '../net/node.js'
import type { Logger } from '../util/logger.js'

export function libp2pAddressBook(node: TroupeNode, logger: Logger): AddressBook {
  return {
    async learn(id, addrs) {
      const peerId = peerIdFromString(id)
      if (peerId.equals(node.peerId)) return
      const multiaddrs = []
      for (const a of addrs) {
        try {
          multiaddrs.push(multiaddr(a))
        } catch (err) {
          logger.warn('ignored a member address that does not parse', { member: id, addr: a, err: (err as Error).message })
        }
      }
      await node.peerStore.merge(peerId, { multiaddrs })
      if (node.getConnections(peerId).length === 0) {
        node.dial(peerId, { signal: AbortSignal.timeout(5_000) }).catch((err: unknown) => {
          logger.debug('could not dial a member yet', { member: id, err: (err as Error).message })
        })
      }
    },
  }
}
