// /metrics on a real 3-peer cluster, scraped over HTTP: tasks that succeed,
// fail and retry move their counters by name; actor messages, lease rounds,
// gossip and sync traffic and member counts are all seen from outside.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineActor } from '../../src/actors/index.js'
import { createPeer, defineApp, type Peer } from '../../src/index.js'
import { defineTask } from '../../src/tasks/index.js'
import { silentLogger } from '../../src/util/logger.js'
import { familyTotal, scrape, total, type Samples } from '../ops/prom-text.js'
import { placementSettled } from '../helpers/placement.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/wait.js'

const PARTITIONS = 16
const lease = { partitions: PARTITIONS, leaseMs: 1_500, renewIntervalMs: 500, roundTimeoutMs: 250, tickMaxMs: 100, fallbackDelayMs: 800, handoffStableMs: 500, configStableMs: 500, configRetryMs: 300 }
const membership = { heartbeatIntervalMs: 100, gossipIntervalMs: 100, tickIntervalMs: 50, suspectAfterMs: 600, deadAfterMs: 1_500, forgetAfterMs: 60_000 }
const retry = { attempts: 2, backoffMs: 50 }

/** Attempts per task id, across peers (they share this process). */
const attempts = new Map<string, number>()
const count = (id: string): number => {
  const n = (attempts.get(id) ?? 0) + 1
  attempts.set(id, n)
  return n
}

const ok = defineTask({ name: 'ok', scope: 'any', input: z.object({ n: z.number() }), run: () => {} })
const flaky = defineTask({ name: 'flaky', scope: 'any', input: z.object({}), retry, run: (ctx) => { if (count(ctx.taskId) === 1) throw new Error('first try fails') } })
const doomed = defineTask({ name: 'doomed', scope: 'any', input: z.object({}), retry, run: () => { throw new Error('always fails') } })
const counter = defineActor({
  type: 'counter',
  initialState: () => ({ n: 0 }),
  handlers: { add: (ctx, by: unknown) => { ctx.state.n += Number(by); return ctx.state.n } },
})
const app = defineApp({ name: 'metrics-test', tasks: [ok, flaky, doomed], actors: [counter] })

const peers: Peer[] = []
const dirs: Array<() => Promise<void>> = []

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const dir = await tempDir()
    dirs.push(dir.remove)
    const seeds = i === 0 ? [] : [peers[0]!.multiaddrs[0]!]
    peers.push(await createPeer({ app, listen: ['/ip4/127.0.0.1/tcp/0'], http: { port: 0, host: '127.0.0.1' }, dataDir: dir.path, logger: silentLogger, membership, lease, seeds }))
  }
  await waitFor('every partition held by a 3-voter cluster', () => {
    for (let p = 0; p < PARTITIONS; p++) if (!peers.some(peer => peer.leases.held(p) !== undefined)) return false
    return peers.every(peer => peer.leases.status().voters.length === 3)
  }, 30_000)
  await placementSettled(peers, PARTITIONS)
}, 60_000)

afterAll(async () => {
  for (const p of peers) await p.stop()
  for (const d of dirs) await d()
})

const scrapeAll = (): Promise<Samples[]> => Promise.all(peers.map(p => scrape(p.httpUrl!)))

describe('/metrics on a 3-peer cluster', () => {
  it('counts task events by task name across the cluster', async () => {
    // One task runs 1.5 s after its enqueue, so its new record is gossiped first (after gossipDeferMs): a short task's
    // records may all go by direct push (session 24), and the gossip counters below need a message.
    const ids = await Promise.all([0, 1, 2].map(n => peers[n]!.tasks.enqueue('ok', { n }, n === 0 ? { delayMs: 1_500 } : {})))
    const flakyId = await peers[1]!.tasks.enqueue('flaky', {})
    const doomedId = await peers[2]!.tasks.enqueue('doomed', {})
    await waitFor('every task finished', () => ids.every(id => peers[0]!.tasks.get(id)?.state === 'done')
      && peers[1]!.tasks.get(flakyId)?.state === 'done' && peers[2]!.tasks.get(doomedId)?.state === 'failed', 20_000)
    // The finishing peer counts an outcome once its write has committed; its own view shows the new state a little
    // earlier (writes apply in memory at once), so the counts are awaited, then checked exactly.
    let s: Samples[] = []
    const count = (event: string, task: string): number => total(s, `troupe_tasks_${event}_total{task="${task}"}`)
    await waitFor('every outcome counted', async () => {
      s = await scrapeAll()
      return count('completed', 'ok') >= 3 && count('completed', 'flaky') >= 1 && count('failed', 'doomed') >= 1
    }, 10_000)
    const tasks = count
    expect(tasks('enqueued', 'ok')).toBe(3)
    expect(tasks('completed', 'ok')).toBe(3)
    expect(tasks('claimed', 'ok')).toBeGreaterThanOrEqual(3)
    expect(tasks('failed', 'ok') + tasks('retried', 'ok')).toBe(0)
    expect(tasks('enqueued', 'flaky')).toBe(1)
    expect(tasks('retried', 'flaky')).toBe(1)
    expect(tasks('completed', 'flaky')).toBe(1)
    expect(tasks('failed', 'flaky')).toBe(0)
    expect(tasks('claimed', 'flaky')).toBeGreaterThanOrEqual(2)
    expect(tasks('retried', 'doomed')).toBe(1)
    expect(tasks('failed', 'doomed')).toBe(1)
    expect(tasks('completed', 'doomed')).toBe(0)
    expect(total(s, 'troupe_task_duration_seconds_count{task="doomed",outcome="error"}')).toBe(2)
    expect(total(s, 'troupe_task_duration_seconds_count{task="ok",outcome="ok"}')).toBe(3)
    // Records spread by gossip (published and accepted) and by anti-entropy.
    expect(total(s, 'troupe_gossip_messages_total{direction="out"}')).toBeGreaterThan(0)
    expect(total(s, 'troupe_gossip_messages_total{direction="in"}')).toBeGreaterThan(0)
    expect(total(s, 'troupe_gossip_bytes_total{direction="in"}')).toBeGreaterThan(0)
    expect(total(s, 'troupe_sync_rounds_total{outcome="ok"}')).toBeGreaterThan(0)
    expect(familyTotal(s, 'troupe_gossip_rejected_total')).toBe(0)
  }, 30_000)

  it('counts actor messages by type and shows mailboxes and activations', async () => {
    for (let i = 0; i < 6; i++) await peers[i % 3]!.actors.ask(`counter/k${i % 2}`, 'add', 1)
    const s = await scrapeAll()
    expect(total(s, 'troupe_actor_messages_total{actor="counter"}')).toBe(6)
    expect(total(s, 'troupe_actor_activations{actor="counter"}')).toBe(2)
    for (const one of s) expect(one.get('troupe_actor_mailbox_depth{actor="counter"}')).toBe(0)
  })

  it('shows lease rounds, acquisitions, held partitions and members', async () => {
    const s = await scrapeAll()
    for (const one of s) {
      expect(one.get('troupe_members{state="alive"}')).toBe(3)
      expect(one.get('troupe_members{state="dead"}')).toBe(0)
      expect(one.get('troupe_lease_rounds_total')).toBeGreaterThan(0)
      expect(one.get('troupe_wire_frames_total{direction="in"}')).toBeGreaterThan(0)
    }
    expect(total(s, 'troupe_leases_held')).toBe(PARTITIONS)
    expect(total(s, 'troupe_lease_acquired_total')).toBeGreaterThanOrEqual(PARTITIONS)
    // Placement moved partitions to their preferred holders as peers joined: handed over, not expired.
    expect(total(s, 'troupe_lease_handovers_total{reason="released"}')).toBeGreaterThan(0)
    expect(total(s, 'troupe_lease_acquired_total')).toBe(PARTITIONS + familyTotal(s, 'troupe_lease_handovers_total'))
    const before = total(s, 'troupe_lease_rounds_total')
    await waitFor('renewals to run more rounds', async () => total(await scrapeAll(), 'troupe_lease_rounds_total') > before)
  })
})
