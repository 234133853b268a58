import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromMultihash, peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { authorNames } from '../../src/tasks/bus.js'

describe('authorNames', () => {
  it("names a peer id as its own toString() does, for every copy of it (gossipsub makes one per message)", async () => {
    const name = authorNames()
    const ids = await Promise.all([0, 1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    for (let round = 0; round < 2; round++) {
      for (const id of ids) {
        const copy = peerIdFromMultihash(id.toMultihash())
        expect(copy).not.toBe(id)
        expect(name(copy)).toBe(id.toString())
      }
    }
  })

  it('stays right past its bound', async () => {
    const name = authorNames(2)
    const ids = await Promise.all([0, 1, 2, 3, 4].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    for (const id of [...ids, ...ids.reverse()]) expect(name(peerIdFromMultihash(id.toMultihash()))).toBe(id.toString())
  })
})
