// Five real peers in one process (libp2p on 127.0.0.1, real stores): voters
// grow to 5 as peers join; a voter that leaves is replaced; "any" tasks run
// exactly once; never two holders of a partition at one instant.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createTestCluster, defineApp, type Peer, type TestCluster } from '../../src/index.js'
import { defineTask } from '../../src/tasks/index.js'
import { waitFor } from '../helpers/wait.js'

const PARTITIONS = 32

const runs: Array<[string, string]> = []
const noop = defineTask({ name: 'noop', scope: 'any', input: z.object({ i: z.number() }), run: ctx => { runs.push([ctx.taskId, ctx.peer.id]) } })
const app = defineApp({ name: 'five', tasks: [noop] })

let cluster: TestCluster
let peers: Peer[] = []
const violations: string[] = []
let watch: NodeJS.Timeout | undefined

// Not waiting for readiness: the watch below must see the cluster form.
beforeAll(async () => {
  cluster = await createTestCluster({ peers: 5, app, http: false, lease: { partitions: PARTITIONS }, ready: false })
  peers = [...cluster.peers]
  watch = setInterval(() => {
    for (let p = 0; p < PARTITIONS; p++) {
      const holders = peers.filter(peer => peer.leases.held(p) !== undefined)
      if (holders.length > 1) violations.push(`partition ${p} held by ${holders.length} peers`)
    }
  }, 10)
}, 60_000)

afterAll(async () => {
  clearInterval(watch)
  await cluster?.close()
})

const allHeld = (ps: Peer[]): boolean => {
  for (let p = 0; p < PARTITIONS; p++) if (!ps.some(peer => peer.leases.held(p) !== undefined)) return false
  return true
}

describe('five peers', () => {
  it('voters grow to 5 and every partition is held, never by two peers at once', async () => {
    await waitFor('5 voters on every peer', () => peers.every(p => p.leases.status().voters.length === 5), 30_000)
    await waitFor('every partition held', () => allHeld(peers), 30_000)
    expect(violations).toEqual([])
  })

  it('500 "any" tasks enqueued across 5 settled peers each run exactly once', async () => {
    await cluster.ready()
    const ids = await Promise.all(Array.from({ length: 500 }, (_, i) => peers[i % 5]!.tasks.enqueue('noop', { i })))
    await waitFor('500 tasks done', () => ids.every(id => peers[0]!.tasks.get(id)?.state === 'done'), 30_000)
    const ran = runs.filter(([id]) => ids.includes(id))
    if (ran.length !== 500) {
      const byId = new Map<string, string[]>()
      for (const [id, peer] of ran) byId.set(id, [...(byId.get(id) ?? []), peer.slice(-4)])
      for (const [id, ps] of byId) if (ps.length > 1) console.log('dupe', id, ps.join(' '), JSON.stringify(peers[0]!.tasks.get(id)?.attempts.map(a => ({ peer: a.peer.slice(-4), fence: a.fence?.slice(0, 24), outcome: a.outcome, round: a.round, n: a.n }))))
    }
    expect(violations).toEqual([])
    expect(ran).toHaveLength(500)
    expect(new Set(ran.map(([id]) => id)).size).toBe(500)
    expect(violations).toEqual([])
  })

  it('a voter that leaves gracefully is replaced by the others, and its partitions are held again', async () => {
    const leaver = peers.find(p => p.leases.status().voter && p !== peers[0])!
    peers.splice(peers.indexOf(leaver), 1)
    await cluster.stop(leaver)
    await waitFor('a voter set without the leaver, agreed by all', () => peers.every(p => {
      const v = p.leases.status().voters
      return !v.includes(leaver.id) && v.length === 3 && v.join() === peers[0]!.leases.status().voters.join()
    }), 30_000)
    await waitFor('every partition held by the 4 remaining peers', () => allHeld(peers), 30_000)
    expect(violations).toEqual([])
  })
})
