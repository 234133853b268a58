// Reports of "all" tasks (src/tasks/report.ts, settler.ts): each peer sends
// its attempts of an "all" task to the task's settler only, the settler
// pushes the settled record to every member, and reports to a settler that
// dies go to the next one.
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CHANNEL_PUSH } from '../../src/tasks/constants.js'
import { defineTask } from '../../src/tasks/define.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { AllReports, type ReportsDeps } from '../../src/tasks/report.js'
import { settlerOf } from '../../src/tasks/settler.js'
import { silentLogger } from '../../src/util/logger.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster, SkipClock } from './harness.js'

const all = (id: string, creator = 'a', pad = 0): TaskRecord =>
  newRecord({ id, name: 'job', scope: 'all', partition: 0, input: { pad: 'x'.repeat(pad) }, priority: 0, runAt: 0, now: 0, self: creator })

const tick = (): Promise<void> => new Promise(r => setTimeout(r, 5))

function reports(over: Partial<Omit<ReportsDeps, 'members'>> & { self: string, members: string[] }): { r: AllReports, clock: SkipClock, sent: Array<[string, string[]]>, fellBack: string[] } {
  const clock = new SkipClock()
  const sent: Array<[string, string[]]> = []
  const fellBack: string[] = []
  const r = new AllReports({
    latest: () => undefined, timers: clock, logger: silentLogger, windowMs: 1_000, bytesMax: 64 * 1024,
    send: async (to, records) => { sent.push([to, records.map(x => x.id)]) },
    fallback: records => { fellBack.push(...records.map(x => x.id)) },
    ...over,
    members: () => over.members,
  })
  return { r, clock, sent, fellBack }
}

describe('the settler of an "all" task', () => {
  it('is its creator while live, else the live member with the smallest id (self included)', () => {
    expect(settlerOf({ creator: 'c' }, ['a', 'b', 'c'], 'b')).toBe('c')
    expect(settlerOf({ creator: 'b' }, ['a', 'c'], 'b')).toBe('b')
    expect(settlerOf({ creator: 'x' }, ['c', 'b', 'd'], 'd')).toBe('b')
    expect(settlerOf({ creator: 'x' }, ['c', 'd'], 'a')).toBe('a')
  })
})

describe('reports of "all" tasks', () => {
  it('go to the settler only, coalesced per destination, newest copy per task; none from the settler itself', async () => {
    const { r, clock, sent } = reports({ self: 'b', members: ['a', 'b', 'c'] })
    r.spread(all('t1', 'a'))
    r.spread({ ...all('t1', 'a'), version: 2 })
    r.spread(all('t2', 'a'))
    r.spread(all('t3', 'c'))
    r.spread(all('t4', 'b')) // b settles t4 itself
    await tick()
    expect(sent).toEqual([])
    clock.advance(1_000)
    await tick()
    expect(sent.sort()).toEqual([['a', ['t1', 't2']], ['c', ['t3']]])
    expect(r.open).toBe(3)
  })

  it('split a destination\'s records into pushes under the byte cap', async () => {
    const { r, clock, sent } = reports({ self: 'b', members: ['a', 'b'], bytesMax: 3_000 })
    for (let i = 0; i < 10; i++) r.spread(all(`t${i}`, 'a', 1_000))
    clock.advance(1_000)
    await tick()
    expect(sent.length).toBeGreaterThanOrEqual(4)
    expect(sent.flatMap(([, ids]) => ids)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`))
  })

  it('from the settler: each change of a settled record goes to every other member, and settles the open report', async () => {
    const a = reports({ self: 'a', members: ['a', 'b', 'c'] })
    const done = { ...all('t1', 'a'), state: 'done' as const, version: 2 }
    a.r.onChanges([{ before: all('t1', 'a'), after: done }])
    a.r.onChanges([{ before: undefined, after: all('t2', 'a') }]) // not settled: stays here
    a.clock.advance(1_000)
    await tick()
    expect(a.sent.sort()).toEqual([['b', ['t1']], ['c', ['t1']]])
    // Not the settler: a settled record it learns is not pushed on, and its open report of the task is closed.
    const b = reports({ self: 'b', members: ['a', 'b', 'c'] })
    b.r.spread(all('t1', 'a'))
    expect(b.r.open).toBe(1)
    b.r.onChanges([{ before: all('t1', 'a'), after: done }])
    expect(b.r.open).toBe(0)
    b.clock.advance(1_000)
    await tick()
    expect(b.sent).toEqual([['a', ['t1']]])
  })

  it('go again to the next settler when the settler dies before settling, and fall back to gossip when a push fails', async () => {
    const members = ['a', 'b', 'c']
    const held = new Map([['t1', all('t1', 'a')], ['t2', { ...all('t2', 'a'), state: 'done' as const }]])
    const { r, clock, sent, fellBack } = reports({ self: 'c', members, latest: id => held.get(id), send: async (to, records) => {
      if (to === 'x') throw new Error('unreachable')
      sent.push([to, records.map(x => x.id)])
    } })
    r.spread(held.get('t1')!)
    r.spread(all('t2', 'a'))
    clock.advance(1_000)
    await tick()
    members.splice(0, 1) // a is gone; t2 has been settled meanwhile (a's push reached c), t1 not
    r.memberGone('a')
    clock.advance(1_000)
    await tick()
    expect(sent).toEqual([['a', ['t1', 't2']], ['b', ['t1']]])
    members.push('x')
    r.spread(all('t3', 'x'))
    clock.advance(1_000)
    await tick()
    expect(fellBack).toEqual(['t3'])
  })
})

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

/** No periodic sync within a test: only pushes and gossip carry records. */
const NO_SYNC = { syncIntervalMs: 3_600_000, retentionMs: 7_200_000, allReportMs: 20 }

describe('an "all" task in a cluster', () => {
  it('costs each other peer a push to the settler and no gossip, and every peer ends with every outcome', async () => {
    const ran: string[] = []
    cluster = await Cluster.start({
      peers: 4,
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({}), run: () => { ran.push(peer) } })],
      // A report window long enough that an attempt's start and end share one push even on a loaded machine.
      init: { ...NO_SYNC, gossipLazyMs: 50, allReportMs: 300 },
    })
    const c = cluster
    await new Promise(r => setTimeout(r, 100)) // let the start-up sync rounds end
    const pushes: string[] = []
    for (const p of ['a', 'b', 'c', 'd']) {
      const m = c.peer(p).messenger
      const send = m.send.bind(m)
      m.send = (to, channel, body, options) => {
        if (channel === CHANNEL_PUSH) pushes.push(`${p}>${to}`)
        return send(to, channel, body, options)
      }
    }
    const published = c.bus.published
    const id = await c.service('c').enqueue('flush', {})
    await waitFor('done everywhere', () => ['a', 'b', 'c', 'd'].every(p => c.service(p).get(id)?.state === 'done'))
    for (const p of ['a', 'b', 'c', 'd']) {
      await waitFor(`${p} holds every outcome`, () => c.service(p).get(id)?.attempts.filter(a => a.outcome === 'ok').length === 4)
    }
    await new Promise(r => setTimeout(r, 200))
    expect(ran.sort()).toEqual(['a', 'b', 'c', 'd'])
    // The new task from c to each, each one's outcome to c (the creator settles), the settled record from c to each.
    expect(pushes.sort()).toEqual(['a>c', 'b>c', 'c>a', 'c>a', 'c>b', 'c>b', 'c>d', 'c>d', 'd>c'])
    // Every push was sent, so gossip carries nothing: the new task only rides along with a message that leaves
    // anyway (none here), and no outcome goes by gossip.
    expect(c.bus.published).toBe(published)
  })

  it('settles on the next settler when its creator dies before settling', async () => {
    const ran: string[] = []
    let release = (): void => {}
    const gate = new Promise<void>(resolve => { release = resolve })
    cluster = await Cluster.start({
      peers: 4,
      definitions: (peer) => [defineTask({ name: 'flush', scope: 'all', input: z.object({}), run: async () => { ran.push(peer); if (peer === 'a') await gate } })],
      init: NO_SYNC,
    })
    const c = cluster
    const id = await c.service('a').enqueue('flush', {})
    await waitFor('four runs', () => ran.length === 4)
    // b, c and d have reported to a, which is still running its own attempt: nothing can settle.
    await waitFor('a holds the three outcomes', () => c.service('a').get(id)?.attempts.filter(x => x.outcome === 'ok').length === 3)
    expect(c.service('b').get(id)?.state).toBe('pending')
    c.live.delete('a')
    for (const p of ['b', 'c', 'd']) c.net.cut('a', p)
    for (const p of ['b', 'c', 'd']) c.service(p).memberGone('a')
    // b is the settler now: c's and d's outcomes reach it, it settles for the members it sees, and tells c and d.
    await waitFor('done on b, c and d', () => ['b', 'c', 'd'].every(p => c.service(p).get(id)?.state === 'done'))
    expect(c.service('d').get(id)!.attempts.filter(x => x.outcome === 'ok').map(x => x.peer).sort()).toEqual(['b', 'c', 'd'])
    release()
  })
})
