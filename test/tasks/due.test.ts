import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DueIndex, PARKED_RECHECK_MS, type TakeContext, type Verdict } from '../../src/tasks/due.js'
import { Heap } from '../../src/util/heap.js'
import { pickRunnable, type PickContext } from '../../src/tasks/pick.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'

const rec = (id: string, o: Partial<TaskRecord> = {}): TaskRecord => ({
  ...newRecord({ id, name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' }), ...o,
})

/** A take context like the runner's: the store is `records` (by id), `held` the partitions held. */
function context(records: Map<string, TaskRecord>, held: Set<number>, now: number, mono = now, running = new Set<string>()): TakeContext {
  return {
    now, mono, holds: p => held.has(p),
    current: r => records.get(r.id) ?? r,
    judge: (r): Verdict => {
      if (r.deleted || (r.state !== 'pending' && r.state !== 'running') || running.has(r.id)) return 'drop'
      if (!held.has(r.partition)) return 'park'
      return r.runAt > now ? 'wait' : 'start'
    },
  }
}

describe('Heap', () => {
  it('pops in comparator order', () => {
    fc.assert(fc.property(fc.array(fc.integer()), (xs) => {
      const h = new Heap<number>((a, b) => a - b)
      for (const x of xs) h.push(x)
      const out: number[] = []
      for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x)
      expect(out).toEqual([...xs].sort((a, b) => a - b))
    }))
  })

  it('pops the least item at every step of any mix of pushes and pops, runs pushed in order included', () => {
    // A push is a number, a pop is null; runs of ascending pushes (a bulk enqueue) take the heap's in-order path.
    const step = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.constant(null), fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 40 }).map(xs => xs.sort((a, b) => a - b)))
    fc.assert(fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const h = new Heap<number>((a, b) => a - b)
      const model: number[] = []
      for (const s of steps) {
        for (const x of s === null ? [] : Array.isArray(s) ? s : [s]) {
          h.push(x)
          model.push(x)
        }
        if (s === null) {
          model.sort((a, b) => a - b)
          expect(h.peek()).toBe(model[0])
          expect(h.pop()).toBe(model.shift())
        }
        expect(h.size).toBe(model.length)
      }
      model.sort((a, b) => a - b)
      const out: number[] = []
      for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x)
      expect(out).toEqual(model)
    }))
  })

  it('drains a long run pushed in order, with pushes out of order between its pops, in order', () => {
    // Past the run's compaction threshold (1,024 taken items), with smaller items pushed to the heap meanwhile.
    const h = new Heap<number>((a, b) => a - b)
    for (let i = 0; i < 5000; i++) h.push(i * 2)
    const out: number[] = []
    for (let i = 0; i < 5000; i++) {
      if (i % 7 === 0) h.push(i * 2 + 1)
      out.push(h.pop() as number)
    }
    for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x)
    expect(out.length).toBe(5000 + Math.ceil(5000 / 7))
    expect(out).toEqual([...out].sort((a, b) => a - b))
  })
})

describe('DueIndex', () => {
  it('starts due tasks best first, waits for later ones and wakes for the earliest', () => {
    const records = new Map([rec('low', { runAt: 10 }), rec('high', { priority: 5, runAt: 50 }), rec('early', { runAt: 5 }), rec('later', { runAt: 300 }), rec('soon', { runAt: 200 })].map(r => [r.id, r]))
    const index = new DueIndex()
    for (const r of records.values()) index.put(r)
    const held = new Set([0])
    expect(index.take(context(records, held, 100), 2).map(r => r.id)).toEqual(['high', 'early'])
    expect(index.take(context(records, held, 100), 10).map(r => r.id)).toEqual(['low'])
    expect(index.wakeAt()).toBe(200)
    expect(index.take(context(records, held, 250), 10).map(r => r.id)).toEqual(['soon'])
  })

  it('parks tasks of partitions not held and returns them once the partition is held', () => {
    const records = new Map([rec('p1', { partition: 1 }), rec('p0')].map(r => [r.id, r]))
    const index = new DueIndex()
    for (const r of records.values()) index.put(r)
    const held = new Set([0])
    expect(index.take(context(records, held, 10), 10).map(r => r.id)).toEqual(['p0'])
    held.add(1)
    // Not looked at again before the recheck period, unless touched.
    expect(index.take(context(records, held, 10, 10 + PARKED_RECHECK_MS / 2), 10)).toEqual([])
    index.touch()
    expect(index.take(context(records, held, 10, 10 + PARKED_RECHECK_MS / 2), 10).map(r => r.id)).toEqual(['p1'])
    expect(index.size).toBe(0)
  })

  it('parks at once a task put with a hint that its partition is not held, and starts it once it is', () => {
    const records = new Map([rec('p1', { partition: 1, runAt: 5 })].map(r => [r.id, r]))
    const index = new DueIndex()
    expect(index.take(context(records, new Set(), 10, 0), 10)).toEqual([])
    index.put(records.get('p1') as TaskRecord, { now: 10, held: false })
    expect(index.wakeAt()).toBeUndefined()
    // Parked: not looked at again before the recheck period, unless touched.
    expect(index.take(context(records, new Set([1]), 10, 0), 10)).toEqual([])
    index.touch()
    expect(index.take(context(records, new Set([1]), 10, 0), 10).map(r => r.id)).toEqual(['p1'])
  })

  it('asks for a recheck while tasks wait in a partition that is this peer\'s but not startable yet', () => {
    const records = new Map([rec('w', { partition: 1 }), rec('x', { partition: 2 })].map(r => [r.id, r]))
    const index = new DueIndex()
    for (const r of records.values()) index.put(r)
    const ctx = context(records, new Set([0]), 10)
    expect(index.take({ ...ctx, mine: p => p === 2 }, 10)).toEqual([])
    expect(index.wantsRecheck).toBe(true)
    expect(index.take({ ...context(records, new Set([0]), 10, 10 + PARKED_RECHECK_MS), mine: () => false }, 10)).toEqual([])
    expect(index.wantsRecheck).toBe(false)
  })

  it('keeps one live entry per task: a newer put replaces the older, a finished one forgets it', () => {
    const index = new DueIndex()
    const records = new Map<string, TaskRecord>()
    index.put(rec('t', { runAt: 0 }))
    index.put(rec('t', { runAt: 500, version: 2 }))
    records.set('t', rec('t', { runAt: 500, version: 2 }))
    expect(index.take(context(records, new Set([0]), 100), 10)).toEqual([])
    expect(index.wakeAt()).toBe(500)
    index.put(rec('t', { state: 'done', version: 3 }))
    expect(index.size).toBe(0)
    expect(index.take(context(records, new Set([0]), 1_000), 10)).toEqual([])
  })

  it('starts what the scan of every record (pickRunnable) starts, in the same order', () => {
    const arb = fc.array(fc.record({
      priority: fc.integer({ min: 0, max: 3 }), runAt: fc.integer({ min: 0, max: 200 }), partition: fc.integer({ min: 0, max: 3 }),
      state: fc.constantFrom('pending', 'running', 'done'), deleted: fc.boolean(),
    }), { maxLength: 40 })
    // With hints (how the runner puts records), entries of partitions not held are parked and due ones skip the
    // waiting heap: the picks must not change.
    fc.assert(fc.property(arb, fc.integer({ min: 0, max: 50 }), fc.boolean(), (specs, slots, hinted) => {
      const list = specs.map((s, i) => rec(`t${String(i).padStart(3, '0')}`, { ...s, state: s.state as TaskRecord['state'], createdAt: i }))
      const records = new Map(list.map(r => [r.id, r]))
      const held = new Set([0, 2])
      const index = new DueIndex()
      for (const r of list) index.put(r, hinted ? { now: 100, held: held.has(r.partition) } : undefined)
      const ctx: PickContext = { self: 'a', now: 100, holds: p => held.has(p), running: new Set(), retryOf: () => ({ attempts: 1, backoffMs: 0, backoffFactor: 1, lostMax: 3 }) }
      expect(index.take(context(records, held, 100), slots).map(r => r.id)).toEqual(pickRunnable(list, ctx, slots).start.map(r => r.id))
    }))
  })

  it('orders tasks that tie up to the id as their ids compare, whatever the ids (prefixes, lengths, codes past 127)', () => {
    const ids = fc.uniqueArray(fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.stringMatching(/^t-[0-9a-z]{8}-[0-9a-z]{0,16}$/),
      fc.constantFrom('', 'a', 'a\u0000', 'a\u0080', 'a\u00ff', 'a\uffff', 'aaaaaaa', 'aaaaaaaa', 'aaaaaaa\u0080', 'aaaaaaa\u00ff'),
    ), { maxLength: 40 })
    fc.assert(fc.property(ids, (list) => {
      const records = new Map(list.map(id => [id, rec(id, { createdAt: 7, runAt: 3 })]))
      const index = new DueIndex()
      for (const r of records.values()) index.put(r, { now: 10, held: true })
      const out = index.take(context(records, new Set([0]), 10), list.length).map(r => r.id)
      expect(out).toEqual([...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    }))
  })

  it('keeps a task put again with the same order keys in one entry, which starts it as last put', () => {
    const index = new DueIndex()
    const first = rec('t', { version: 1 })
    const second = rec('t', { version: 2 })
    index.put(first, { now: 10, held: true })
    index.put(second, { now: 10, held: true })
    index.put(second)
    expect(index.size).toBe(1)
    const seen: TaskRecord[] = []
    const ctx = context(new Map(), new Set([0]), 10)
    expect(index.take({ ...ctx, current: (r) => { seen.push(r); return r } }, 10)).toEqual([second])
    // One entry, judged once: no stale copy surfaced.
    expect(seen).toEqual([second])
  })

  it('moves a parked task to the heaps when it is put again with its partition held', () => {
    const index = new DueIndex()
    const r = rec('p', { partition: 1 })
    const records = new Map([[r.id, r]])
    expect(index.take(context(records, new Set(), 10, 0), 10)).toEqual([])
    index.put(r, { now: 10, held: false })
    // Parked and not looked at again before the recheck: still not taken.
    expect(index.take(context(records, new Set([1]), 10, 0), 10)).toEqual([])
    index.put(r, { now: 10, held: true })
    expect(index.take(context(records, new Set([1]), 10, 0), 10)).toEqual([r])
  })
})
