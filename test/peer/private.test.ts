// A private cluster: peers with the same secret form a cluster; a peer with
// another secret, or none, cannot connect to them at all.

import { afterEach, describe, expect, it } from 'vitest'
import { createPeer, type Peer } from '../../src/index.js'
import { swarmKeyFromSecret } from '../../src/net/secret.js'
import { silentLogger } from '../../src/util/logger.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const membership = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start(secret: string | undefined, seed?: string): Promise<Peer> {
  const dir = await tempDir()
  const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], http: false, logger: silentLogger, dataDir: dir.path, membership, secret, seeds: seed === undefined ? [] : [seed] })
  cleanups.push(async () => { await peer.stop(); await dir.remove() })
  return peer
}

const sees = (a: Peer, b: Peer): boolean => a.members().some(m => m.id === b.id && m.state === 'alive')

describe('private cluster', () => {
  it('peers with the same secret join; peers with another secret or none never see them', async () => {
    const secret = 'correct horse battery staple'
    const a = await start(secret)
    const b = await start(secret, a.multiaddrs[0])
    await waitFor('a and b to see each other', () => sees(a, b) && sees(b, a))
    const stranger = await start('another secret of enough length', a.multiaddrs[0])
    const open = await start(undefined, a.multiaddrs[0])
    // Give them the time they would need to join (a and b joined well within this).
    await new Promise(resolve => setTimeout(resolve, 1_500))
    for (const outsider of [stranger, open]) {
      expect(sees(a, outsider)).toBe(false)
      expect(sees(outsider, a)).toBe(false)
      expect(outsider.members().filter(m => m.state === 'alive')).toHaveLength(1)
    }
  })

  it('refuses a short secret', () => {
    expect(() => swarmKeyFromSecret('short')).toThrow(/at least 16 characters/)
  })
})
