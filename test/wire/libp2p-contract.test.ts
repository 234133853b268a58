import { afterEach } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { TroupeNode } from '../../src/net/node.js'
import { Libp2pMessenger } from '../../src/wire/libp2p-messenger.js'
import { connect, recordingLogger, startNode } from './helpers.js'
import { messengerContract } from './messenger-contract.js'

const nodes: TroupeNode[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map(n => n.stop()))
})

messengerContract('libp2p', async (init) => {
  const [na, nb] = await Promise.all([startNode(), startNode()])
  nodes.push(na, nb)
  await connect(na, nb)
  const a = new Libp2pMessenger({ node: na, logger: recordingLogger() }, init)
  const b = new Libp2pMessenger({ node: nb, logger: recordingLogger() }, init)
  await a.start()
  await b.start()
  const nobody = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  return {
    a, b, nobody,
    aName: na.peerId.toString(),
    bName: nb.peerId.toString(),
    close: async () => { await Promise.all([a.stop(), b.stop()]) },
  }
})
