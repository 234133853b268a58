// Seeded chaos: partitions move, peers die and come back, while tasks are
// enqueued and cancelled everywhere. Every acked task must finish (or be
// cancelled), every peer must end with the same record, and no task may run
// on two peers at once. Duplicated runs (allowed: at least once) are counted.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { canonical } from '../../src/tasks/canonical.js'
import { defineTask } from '../../src/tasks/define.js'
import { randomInt, seededRandom } from '../../src/util/random.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

const names = ['a', 'b', 'c', 'd']

describe('task plane chaos', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: every acked task finishes, never on two peers at once`, async () => {
      const rnd = seededRandom(seed)
      const runningOn = new Map<string, string>()
      const overlaps: string[] = []
      const runs = new Map<string, number>()
      cluster = await Cluster.start({
        peers: 4, partitions: 32,
        definitions: (peer) => [defineTask({
          name: 'job', scope: 'any', input: z.object({ ms: z.number() }),
          run: (ctx, { ms }) => new Promise<void>((resolve, reject) => {
            const other = runningOn.get(ctx.taskId)
            if (other !== undefined) overlaps.push(`${ctx.taskId} on ${peer} while on ${other}`)
            runningOn.set(ctx.taskId, peer)
            runs.set(ctx.taskId, (runs.get(ctx.taskId) ?? 0) + 1)
            const done = (): void => { if (runningOn.get(ctx.taskId) === peer) runningOn.delete(ctx.taskId) }
            const t = setTimeout(() => { done(); resolve() }, ms)
            ctx.signal.addEventListener('abort', () => { clearTimeout(t); done(); reject(ctx.signal.reason) }, { once: true })
          }),
        })],
        init: { concurrency: 3, syncIntervalMs: 300, retentionMs: 60_000, enqueueTimeoutMs: 1_000 },
      })
      const c = cluster
      const acked: string[] = []
      const cancelled = new Set<string>()
      const pending: Array<Promise<unknown>> = []
      let dead: string | undefined
      for (let step = 0; step < 80; step++) {
        const live = names.filter(n => n !== dead)
        const roll = rnd.next()
        if (roll < 0.25) {
          c.assignment.move(randomInt(rnd, 0, 31), live[randomInt(rnd, 0, live.length - 1)])
        } else if (roll < 0.3 && dead === undefined) {
          dead = live[randomInt(rnd, 0, live.length - 1)]!
          c.kill(dead)
        } else if (roll < 0.4 && dead !== undefined) {
          await c.revive(dead)
          dead = undefined
        } else if (roll < 0.45 && acked.length > 0) {
          const id = acked[randomInt(rnd, 0, acked.length - 1)]!
          // Refused when already finished or not yet known there: both fine.
          await c.service(live[randomInt(rnd, 0, live.length - 1)]!).cancel(id).then(() => { cancelled.add(id) }, () => undefined)
        } else {
          const from = live[randomInt(rnd, 0, live.length - 1)]!
          for (let i = 0; i < 5; i++) {
            pending.push(c.service(from).enqueue('job', { ms: randomInt(rnd, 0, 30) }).then(id => { acked.push(id) }, () => undefined))
          }
        }
        await new Promise(r => setTimeout(r, 15))
      }
      await Promise.all(pending)
      if (dead !== undefined) await c.revive(dead)
      c.assignment.spread(names)
      const final = (p: string, id: string): boolean => {
        const state = c.service(p).get(id)?.state
        return state === 'done' || (state === 'cancelled' && cancelled.has(id))
      }
      await waitFor('every acked task done (or cancelled) on every peer', () => names.every(p => acked.every(id => final(p, id))), 20_000)
      await waitFor('identical records everywhere', () => acked.every(id => new Set(names.map(p => canonical(c.service(p).get(id)))).size === 1), 10_000)
      expect(overlaps).toEqual([])
      expect(acked.every(id => cancelled.has(id) || (runs.get(id) ?? 0) >= 1)).toBe(true)
      const duplicates = acked.filter(id => (runs.get(id) ?? 0) > 1).length
      const okTwice = acked.filter(id => c.service('a').get(id)!.attempts.filter(x => x.outcome === 'ok').length > 1).length
      console.log(`seed ${seed}: ${acked.length} acked tasks (${cancelled.size} cancelled), ${duplicates} started more than once, ${okTwice} completed more than once`)
    })
  }
})
