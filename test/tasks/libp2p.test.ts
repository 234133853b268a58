// Three real peers: libp2p on loopback, Libp2pMessenger, gossipsub, lmdb.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { openStore, type Store } from '../../src/store/store.js'
import { libp2pPubSub } from '../../src/tasks/bus.js'
import { StaticAssignment } from '../../src/tasks/claims.js'
import { defineTask } from '../../src/tasks/define.js'
import { TaskService } from '../../src/tasks/service.js'
import type { TroupeNode } from '../../src/net/node.js'
import { systemClock, systemTimers } from '../../src/util/clock.js'
import { silentLogger } from '../../src/util/logger.js'
import { seededRandom } from '../../src/util/random.js'
import { Libp2pMessenger } from '../../src/wire/libp2p-messenger.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'
import { connect, recordingLogger, startNode } from '../wire/helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

describe('tasks over real libp2p and gossipsub', () => {
  it('3 peers run 300 "any" tasks once each and an "all" task on every peer', async () => {
    const nodes: TroupeNode[] = await Promise.all([startNode(), startNode(), startNode()])
    cleanups.push(async () => { await Promise.all(nodes.map(n => n.stop())) })
    await connect(nodes[0]!, nodes[1]!)
    await connect(nodes[0]!, nodes[2]!)
    await connect(nodes[1]!, nodes[2]!)
    const names = nodes.map(n => n.peerId.toString())
    const assignment = new StaticAssignment(256)
    assignment.spread(names)
    const runs = new Map<number, string[]>()
    const allRuns: string[] = []
    const services: TaskService[] = []
    for (const [i, node] of nodes.entries()) {
      const dir = await tempDir('troupe-tasks-p2p-')
      const store: Store = await openStore(dir.path)
      const messenger = new Libp2pMessenger({ node, logger: recordingLogger() })
      await messenger.start()
      const self = names[i]!
      const service = new TaskService({
        store, messenger, pubsub: libp2pPubSub(node.services.pubsub), clock: systemClock, timers: systemTimers, random: seededRandom(i),
        logger: silentLogger, claims: assignment.claimsFor(self), members: () => names, self,
      }, [
        defineTask({ name: 'work', scope: 'any', input: z.object({ n: z.number() }), run: (_c, { n }) => { runs.set(n, [...(runs.get(n) ?? []), self]) } }),
        defineTask({ name: 'everyone', scope: 'all', input: z.object({}), run: () => { allRuns.push(self) } }),
      ], { concurrency: 4, syncIntervalMs: 500, retentionMs: 60_000 })
      await service.start()
      services.push(service)
      cleanups.push(async () => { await service.stop({ deadlineMs: 100 }); await messenger.stop(); await store.close(); await dir.remove() })
    }
    const ids = await Promise.all(Array.from({ length: 300 }, (_, n) => services[n % 3]!.enqueue('work', { n })))
    const everyone = await services[1]!.enqueue('everyone', {})
    await waitFor('300 runs', () => runs.size === 300, 20_000)
    await waitFor('the "all" task on 3 peers', () => allRuns.length === 3, 20_000)
    await waitFor('all records done everywhere', () => services.every(s => ids.every(id => s.get(id)?.state === 'done') && s.get(everyone)?.state === 'done'), 20_000)
    expect([...runs.values()].every(p => p.length === 1)).toBe(true)
    expect(allRuns.sort()).toEqual([...names].sort())
  })
})
