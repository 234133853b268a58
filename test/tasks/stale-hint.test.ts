// A put meant for a partition's holder that reaches another peer (the
// enqueuer's hint is stale: placement moved) still gets the task to its
// holder at once: the receiver answers that it does not hold the partition,
// and the enqueuer gossips the task then instead of after gossipDeferMs.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineTask } from '../../src/tasks/define.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

describe('a stale holder hint', () => {
  it('a new "any" task whose put reached a peer that does not hold its partition starts on the holder without waiting for the deferred gossip or sync', async () => {
    const ran: Array<{ n: number, peer: string }> = []
    cluster = await Cluster.start({
      definitions: peer => [defineTask({ name: 'work', scope: 'any', input: z.object({ n: z.number() }), run: (_ctx, { n }) => { ran.push({ n, peer }) } })],
      // Far longer than the wait below: neither the deferred gossip nor a sync round can be what delivers the task.
      init: { gossipDeferMs: 60_000, syncIntervalMs: 60_000, syncSettleMs: 30_000, retentionMs: 3_600_000 },
      // Peer a always points at b, whoever holds the partition.
      holderOf: (self, p, assignment) => self === 'a' ? 'b' : assignment.holder(p),
    })
    const c = cluster
    // Tasks of partitions held by c: a's put goes to b, which does not hold them.
    const ids: string[] = []
    for (let n = 0; ids.length < 5; n++) {
      const id = await c.service('a').enqueue('work', { n })
      if (c.assignment.holder(c.service('a').get(id)!.partition) === 'c') ids.push(id)
      else await waitFor('the other task ran', () => ran.some(r => r.n === n), 5_000)
    }
    await waitFor('the five tasks of c ran', () => ids.every(id => c.service('c').get(id)?.state === 'done'), 5_000)
    expect(ids.map(id => c.service('c').get(id)!.attempts.map(x => x.peer))).toEqual(ids.map(() => ['c']))
  })
})
