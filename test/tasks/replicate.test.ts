import { describe, expect, it } from 'vitest'
import { UnavailableError } from '../../src/errors.js'
import { checkRecords } from '../../src/tasks/codec.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { PUT_BATCH_BYTES, PUT_BATCH_RECORDS, PutBatcher, replicateMany, type PutBody } from '../../src/tasks/replicate.js'
import { systemTimers } from '../../src/util/clock.js'
import type { Messenger } from '../../src/wire/messenger.js'

const rec = (i: number): TaskRecord => newRecord({ id: `t${i}`, name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 1, self: 'a' })

/** A messenger that answers puts: every request it sees is recorded; puts to `down` peers fail. */
function putMessenger(down: Set<string>): { messenger: Messenger, seen: Array<{ to: string, ids: string[] }> } {
  const seen: Array<{ to: string, ids: string[] }> = []
  const messenger = {
    request: async (to: string, _channel: string, body: unknown) => {
      seen.push({ to, ids: checkRecords(body as PutBody, 1).records.map(r => r.id) })
      if (down.has(to)) throw new UnavailableError(`${to} is down`)
      return { ok: true }
    },
  } as unknown as Messenger
  return { messenger, seen }
}

const flushNow = (fn: () => void): void => { queueMicrotask(fn) }

describe('PutBatcher.putMany', () => {
  it('splits one caller\'s records over requests of at most PUT_BATCH_RECORDS, and resolves when all are answered', async () => {
    const { messenger, seen } = putMessenger(new Set())
    const batcher = new PutBatcher(messenger, () => 0, flushNow)
    const records = Array.from({ length: PUT_BATCH_RECORDS * 2 + 5 }, (_, i) => rec(i))
    await Promise.all([batcher.putMany('b', records, 10_000), batcher.put('b', rec(-1), 10_000)])
    expect(seen.map(s => s.ids.length)).toEqual([PUT_BATCH_RECORDS, PUT_BATCH_RECORDS, 6])
    expect(seen.flatMap(s => s.ids)).toEqual([...records.map(r => r.id), 't-1'])
  })

  it('splits by the estimated bytes too', async () => {
    const { messenger, seen } = putMessenger(new Set())
    const batcher = new PutBatcher(messenger, () => 0, flushNow)
    await batcher.putMany('b', [rec(1), rec(2), rec(3)], 10_000, PUT_BATCH_BYTES / 2)
    expect(seen.map(s => s.ids)).toEqual([['t1', 't2'], ['t3']])
  })
})

describe('replicateMany', () => {
  const init = (members: string[]) => ({ self: 'a', members: () => members, replicas: 1, timers: systemTimers, now: () => 0, deadline: 10_000 })

  it('sends the first wave as one request per peer, each record to its preferred peer', async () => {
    const { messenger, seen } = putMessenger(new Set())
    const batcher = new PutBatcher(messenger, () => 0, flushNow)
    const items = [0, 1, 2, 3].map(i => ({ record: rec(i), prefer: i % 2 === 0 ? 'b' : 'c' }))
    const out = await replicateMany(batcher, items, init(['a', 'b', 'c']))
    expect(out.map(r => r.status === 'fulfilled' ? r.value : r.reason)).toEqual([['b'], ['c'], ['b'], ['c']])
    expect(seen.map(s => `${s.to}:${s.ids.join(',')}`).sort()).toEqual(['b:t0,t2', 'c:t1,t3'])
  })

  it('moves the records of a failed peer on to another one, each record settled on its own', async () => {
    const { messenger, seen } = putMessenger(new Set(['b']))
    const batcher = new PutBatcher(messenger, () => 0, flushNow)
    const out = await replicateMany(batcher, [0, 1].map(i => ({ record: rec(i), prefer: 'b' })), init(['a', 'b', 'c']))
    expect(out.map(r => r.status === 'fulfilled' ? r.value : r.reason)).toEqual([['c'], ['c']])
    expect(seen[0]).toEqual({ to: 'b', ids: ['t0', 't1'] })
    expect(seen.slice(1).every(s => s.to === 'c')).toBe(true)
  })

  it('needs no put when this peer is alone', async () => {
    const { messenger, seen } = putMessenger(new Set())
    const out = await replicateMany(new PutBatcher(messenger, () => 0, flushNow), [{ record: rec(0) }], init(['a']))
    expect(out).toEqual([{ status: 'fulfilled', value: [] }])
    expect(seen).toEqual([])
  })
})
