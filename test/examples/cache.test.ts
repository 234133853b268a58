// examples/cache: each peer's in-memory cache, saved by the "all" task
// save-cache on every peer to its own file, atomically.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getEntry, type SavedCache } from '../../examples/cache/store.js'
import { setEnv } from '../helpers/env.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'
import { get, post, startCluster, type Cluster } from './cluster.js'

let cluster: Cluster
let dir: { path: string, remove: () => Promise<void> }
let restoreEnv = (): void => {}

async function saved(peerId: string): Promise<SavedCache | undefined> {
  const text = await readFile(join(dir.path, `cache-${peerId}.json`), 'utf8').catch(() => undefined)
  return text === undefined ? undefined : JSON.parse(text) as SavedCache
}

beforeAll(async () => {
  dir = await tempDir('troupe-cache-')
  // Read when the app loads (the period) and when the task runs (the folder).
  restoreEnv = setEnv({ CACHE_SAVE_MS: '300', CACHE_DIR: dir.path })
  cluster = await startCluster('examples/cache')
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
  await dir?.remove()
  restoreEnv()
})

describe('examples/cache', () => {
  it('each peer answers from its own cache and saves it to its own file', async () => {
    const { peers } = cluster
    for (const [i, peer] of peers.entries()) {
      for (let k = 0; k < 5; k++) {
        const res = await post(peer, 'cache-set', { key: `p${i}-k${k}`, value: { n: k, from: i } })
        expect(res.status).toBe(200)
      }
      await post(peer, 'cache-set', { key: 'shared', value: `peer ${i}` })
    }
    // Reads answer from the receiving peer's cache only.
    expect((await get(peers[1]!, 'cache-get', { key: 'p1-k3' })).json).toMatchObject({ found: true, value: { n: 3, from: 1 } })
    expect((await get(peers[1]!, 'cache-get', { key: 'p0-k3' })).json).toMatchObject({ found: false })
    expect((await get(peers[2]!, 'cache-get', { key: 'shared' })).json).toMatchObject({ value: 'peer 2' })

    for (const [i, peer] of peers.entries()) {
      const file = await waitFor(`peer ${i}'s cache file with its 6 entries`, async () => {
        const s = await saved(peer.id)
        return s !== undefined && Object.keys(s.entries).length === 6 ? s : undefined
      }, 10_000)
      const expected: Record<string, unknown> = { shared: `peer ${i}` }
      for (let k = 0; k < 5; k++) expected[`p${i}-k${k}`] = { n: k, from: i }
      expect(file.peer).toBe(peer.id)
      expect(file.entries).toEqual(expected)
    }
  })

  it('saves again after a change, every period', async () => {
    const [a] = cluster.peers
    await post(a!, 'cache-set', { key: 'late', value: [1, 2, 3] })
    await waitFor('the later entry in the file', async () => (await saved(a!.id))?.entries.late !== undefined, 5_000)
    expect((await saved(a!.id))?.entries.late).toEqual([1, 2, 3])
  })

  it('leaves only the final files behind: one per peer, no temporary ones', async () => {
    await cluster.stop()
    const files = (await readdir(dir.path)).sort()
    expect(files).toEqual(cluster.peers.map(p => `cache-${p.id}.json`).sort())
  })

  it('a restarted peer starts from its saved file', async () => {
    // This module copy of the store has no cache in memory yet: it reads the file.
    const [a] = cluster.peers
    expect(await getEntry(a!.id, 'late')).toEqual({ found: true, value: [1, 2, 3] })
    expect(await getEntry(a!.id, 'p1-k0')).toEqual({ found: false })
  })
})
