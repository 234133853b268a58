// The test-only fault switch (src/net/fault-switch.ts) on real peers: a block
// cuts libp2p both ways (members see each other dead, no connection comes
// back while it holds), a heal lets them reconnect, and without `faults` the
// routes do not exist.

import { afterEach, describe, expect, it } from 'vitest'
import { createPeer, type Peer, type PeerInit } from '../../src/index.js'
import { silentLogger } from '../../src/util/logger.js'
import { faultsEnabled } from '../../src/net/fault-switch.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const fast = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start(init: PeerInit = {}): Promise<Peer> {
  const dir = await tempDir()
  const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], http: { port: 0 }, logger: silentLogger, membership: fast, dataDir: dir.path, ...init })
  cleanups.push(async () => {
    await peer.stop()
    await dir.remove()
  })
  return peer
}

const stateOf = (p: Peer, id: string): string | undefined => p.members().find(m => m.id === id)?.state
const post = (peer: Peer, path: string, body: unknown): Promise<Response> =>
  fetch(`${peer.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

describe('the fault switch', () => {
  it('cuts two peers apart and lets them reconnect when healed', async () => {
    const a = await start({ faults: true })
    const b = await start({ faults: true, seeds: [a.multiaddrs[0]!] })
    await waitFor('a and b to see each other', () => stateOf(a, b.id) === 'alive' && stateOf(b, a.id) === 'alive')
    // Only a blocks: its gater refuses b's dials too, so the cut holds both ways.
    const res = await post(a, '/_faults/block', { peers: [b.id] })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ blocked: [b.id] })
    await waitFor('each to see the other dead', () => stateOf(a, b.id) === 'dead' && stateOf(b, a.id) === 'dead', 15_000)
    expect(a.members().length).toBe(2)
    await new Promise(resolve => setTimeout(resolve, 500))
    expect(stateOf(b, a.id)).toBe('dead')
    expect((await post(a, '/_faults/heal', {})).status).toBe(200)
    expect(await (await fetch(`${a.httpUrl}/_faults/blocked`)).json()).toEqual({ blocked: [] })
    await waitFor('each to see the other alive again', () => stateOf(a, b.id) === 'alive' && stateOf(b, a.id) === 'alive', 15_000)
  })

  it('rejects a malformed block request', async () => {
    const a = await start({ faults: true })
    expect((await post(a, '/_faults/block', { peers: 'x' })).status).toBe(422)
    expect((await post(a, '/_faults/block', {})).status).toBe(422)
  })

  it('does not exist unless turned on', async () => {
    const a = await start()
    expect((await post(a, '/_faults/block', { peers: ['x'] })).status).toBe(404)
    expect((await fetch(`${a.httpUrl}/_faults/blocked`)).status).toBe(404)
    expect(faultsEnabled({})).toBe(false)
    expect(faultsEnabled({ TROUPE_FAULTS: '0' })).toBe(false)
    expect(faultsEnabled({ TROUPE_FAULTS: '1' })).toBe(true)
  })
})
