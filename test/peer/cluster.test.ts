// Real peers in one process: libp2p on 127.0.0.1, real stores in temp folders,
// real HTTP. Membership timings are shortened so failures show in seconds.

import { afterEach, describe, expect, it } from 'vitest'
import { createPeer, type Peer, type PeerInit } from '../../src/index.js'
import { PassThrough } from 'node:stream'
import { createLogger, silentLogger } from '../../src/util/logger.js'
import { loadOrCreateIdentity } from '../../src/net/identity.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SEED_WATCH_MS } from '../../src/peer/seeds.js'
import { freePort } from '../helpers/ports.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const fast = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start(init: PeerInit = {}): Promise<Peer> {
  const dir = init.dataDir === undefined ? await tempDir() : undefined
  const peer = await createPeer({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    http: { port: 0 },
    logger: silentLogger,
    membership: fast,
    dataDir: dir?.path,
    ...init,
  })
  cleanups.push(async () => {
    await peer.stop()
    await dir?.remove()
  })
  return peer
}

const aliveIds = (p: Peer): string[] => p.members().filter(m => m.state === 'alive').map(m => m.id).sort()

describe('cluster membership over libp2p', () => {
  for (const size of [3, 5]) {
    it(`${size} peers that each know only peer 1 all see every member`, async () => {
      const first = await start()
      const rest = await Promise.all(Array.from({ length: size - 1 }, () => start({ seeds: [first.multiaddrs[0]!] })))
      const all = [first, ...rest]
      const ids = all.map(p => p.id).sort()
      await waitFor(`all ${size} peers to see ${size} members`, () => all.every(p => aliveIds(p).join() === ids.join()))
      const status = await (await fetch(`${rest[0]!.httpUrl}/status`)).json() as { members: Array<{ id: string, state: string, httpUrl: string }> }
      expect(status.members.map(m => m.id).sort()).toEqual(ids)
      expect(status.members.every(m => m.state === 'alive' && m.httpUrl.startsWith('http://127.0.0.1:'))).toBe(true)
    })
  }

  it('a gracefully stopped peer is removed at once; a restarted one rejoins with the same id and a new incarnation', async () => {
    const a = await start()
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const b = await start({ seeds: [a.multiaddrs[0]!] })
    const c = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], http: false, logger: silentLogger, membership: fast, dataDir: dir.path, seeds: [a.multiaddrs[0]!] })
    const cId = c.id
    const firstIncarnation = c.incarnation
    await waitFor('3 members', () => aliveIds(a).length === 3 && aliveIds(b).length === 3)
    const left = new Promise<string>(resolve => a.once('member:leave', m => resolve(m.record.id)))
    const stoppedAt = performance.now()
    await c.stop()
    expect(await left).toBe(cId)
    // Well before the failure detector could have noticed.
    expect(performance.now() - stoppedAt).toBeLessThan(fast.suspectAfterMs)
    expect(a.members().find(m => m.id === cId)?.state).toBe('left')

    const again = await start({ dataDir: dir.path, seeds: [b.multiaddrs[0]!], http: false })
    expect(again.id).toBe(cId)
    expect(again.incarnation).toBe(firstIncarnation + 1)
    await waitFor('the restarted peer to be alive everywhere', () => [a, b].every(p => p.members().find(m => m.id === cId)?.state === 'alive'))
    expect(a.members().find(m => m.id === cId)?.incarnation).toBe(firstIncarnation + 1)
  })

  it('peers that joined in two islands (a cluster restarted at once) merge through the seeds they did not use', async () => {
    const [portC, portD] = [await freePort(), await freePort()]
    const at = (port: number): string => `/ip4/127.0.0.1/tcp/${port}`
    const a = await start()
    // b joins through a, its first seed; c and d (not up yet) then join each other: two islands.
    const b = await start({ seeds: [a.multiaddrs[0]!, at(portC)] })
    await waitFor('a and b to see each other', () => aliveIds(a).length === 2 && aliveIds(b).length === 2)
    const [c, d] = await Promise.all([start({ listen: [at(portC)], seeds: [at(portD)] }), start({ listen: [at(portD)], seeds: [at(portC)] })])
    const all = [a, b, c, d]
    const ids = all.map(p => p.id).sort()
    await waitFor('the islands to merge', () => all.every(p => aliveIds(p).join() === ids.join()), 3 * SEED_WATCH_MS)
  })

  it('refuses a second peer on the same data folder', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    await start({ dataDir: dir.path })
    await expect(createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], http: false, logger: silentLogger, dataDir: dir.path })).rejects.toThrow(/in use by another peer|locked|in use/)
  })
})

describe('seeds that name the peer itself', () => {
  /** A peer id made in `dir` before the peer's first start, as an operator writing one seed list for every peer does. */
  async function madeIdentity(dir: string): Promise<string> {
    return peerIdFromPrivateKey((await loadOrCreateIdentity(dir)).key).toString()
  }

  function logLines(): { logger: ReturnType<typeof createLogger>, lines: () => Array<{ level: number, msg: string }> } {
    const out = new PassThrough()
    const text: string[] = []
    out.on('data', (chunk: Buffer) => text.push(chunk.toString()))
    return { logger: createLogger({ level: 'info', destination: out }), lines: () => text.join('').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as { level: number, msg: string }) }
  }

  it('one seed list for every peer: each skips itself and joins through the others', async () => {
    const a = await start()
    const dir = await tempDir()
    cleanups.push(() => dir.remove())
    const id = await madeIdentity(dir.path)
    const port = await freePort()
    const self = `/ip4/127.0.0.1/tcp/${port}/p2p/${id}`
    const b = await start({ dataDir: dir.path, listen: [`/ip4/127.0.0.1/tcp/${port}`], seeds: [a.multiaddrs[0]!, self] })
    expect(b.id).toBe(id)
    expect(b.config.seeds).toEqual([a.multiaddrs[0]])
    await waitFor('both peers see each other', () => aliveIds(a).length === 2 && aliveIds(b).length === 2, 10_000)
    await waitFor('b a voter of a\'s cluster', () => b.leases.status().voters.includes(a.id), 10_000)
  })

  it('a peer whose only seed is itself does not start a cluster of its own, and says why', async () => {
    const dir = await tempDir()
    cleanups.push(() => dir.remove())
    const id = await madeIdentity(dir.path)
    const port = await freePort()
    const { logger, lines } = logLines()
    const b = await start({ dataDir: dir.path, listen: [`/ip4/127.0.0.1/tcp/${port}`], seeds: [`/ip4/127.0.0.1/tcp/${port}/p2p/${id}`], logger })
    expect(b.config.seeds).toEqual([])
    await new Promise(resolve => setTimeout(resolve, 1_000))
    expect(b.leases.status().voters).toEqual([])
    expect(lines().filter(l => l.level === 40).map(l => l.msg)).toContainEqual(expect.stringMatching(/^the only seed is this peer itself and it has no lease state: it does not start a new cluster/))
  })
})
