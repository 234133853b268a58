import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../../src/store/store.js'
import { hashPartition } from '../../src/tasks/claims.js'
import { SYNC_BUCKETS } from '../../src/tasks/constants.js'
import { bucketOf, fingerprint } from '../../src/tasks/digest.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { COMMIT_MODES, type CommitMode } from '../../src/tasks/commit.js'
import { TaskStore } from '../../src/tasks/store.js'
import { cancelRecord, deleteRecord, finishAttempt, startAttempt } from '../../src/tasks/transitions.js'
import { tempDir } from '../helpers/tmp.js'

const P = 8
let dir: { path: string, remove: () => Promise<void> }
let store: Store
let wall = 1_000
const rec = (id: string): TaskRecord => newRecord({ id, name: 'job', scope: 'any', partition: hashPartition(id, P), input: {}, priority: 0, runAt: 0, now: wall, self: 'a' })
/** How the store under test commits (each test runs with every mode: describe.each below). */
let mode: CommitMode = 'auto'
const open = (): TaskStore => new TaskStore(store, id => hashPartition(id, P), P, () => wall, { commit: mode })

beforeEach(async () => { dir = await tempDir(); store = await openStore(dir.path); wall = 1_000 })
afterEach(async () => { await store.close(); await dir.remove() })

describe.each(COMMIT_MODES)('TaskStore, %s commits', (commitMode) => {
  beforeEach(() => { mode = commitMode })

  it('reads a write made while the one before it commits, and stores the newer one', async () => {
    const s = open()
    const first = s.merge([rec('w')], 1000)
    // Let the first commit start (on lmdb's thread in 'background' and, for one write, 'auto': not done yet), then write the same record again.
    await new Promise(resolve => setImmediate(resolve))
    const cancelled = s.update('w', cur => cancelRecord(cur!, { self: 'c', now: 2001 }))
    expect(s.get('w')!.state).toBe('cancelled')
    await Promise.all([first, cancelled])
    expect(s.get('w')!.state).toBe('cancelled')
    const again = open()
    again.load()
    expect(again.get('w')!.state).toBe('cancelled')
  })

  it('lists by reading at most scanMax stored records, and says when it stopped short of the limit', async () => {
    const s = open()
    const done = (id: string, name: string): TaskRecord => {
      const r = { ...rec(id), name }
      return finishAttempt(startAttempt(r, { self: 'a', now: 2000 }, 'f').record, { self: 'a', now: 2001 }, { key: 'a#0.1', outcome: 'ok', retry: { attempts: 1, backoffMs: 1, backoffFactor: 1, lostMax: 3 }, owner: true })
    }
    await s.merge([...Array.from({ length: 60 }, (_, i) => done(`c${i}`, 'common')), done('r1', 'rare')], Number.POSITIVE_INFINITY)
    s.load()
    // Done records are read from disk in key order: the rare one is somewhere among 61.
    const all = s.listPage({ state: 'done', name: 'rare', limit: 10 }, 1_000)
    expect(all).toEqual({ tasks: [expect.objectContaining({ id: 'r1' })], truncated: false })
    const short = s.listPage({ state: 'done', name: 'nothing', limit: 10 }, 20)
    expect(short).toEqual({ tasks: [], truncated: true })
    // A limit reached within the budget is not a truncation.
    expect(s.listPage({ state: 'done', limit: 5 }, 20)).toMatchObject({ truncated: false })
    expect(s.listPage({ state: 'done', limit: 5 }, 20).tasks).toHaveLength(5)
    // Exactly the whole store within the budget: complete.
    expect(s.listPage({ state: 'done', name: 'nothing' }, 61)).toEqual({ tasks: [], truncated: false })
  })

  it('merges concurrent writes to one record without losing any', async () => {
    const s = open()
    await s.merge([rec('x')], 1000)
    const start = startAttempt(rec('x'), { self: 'b', now: 2000 }, 'f').record
    await Promise.all([
      s.merge([start], 1000),
      s.update('x', cur => cancelRecord(cur!, { self: 'c', now: 2001 })),
      s.update('x', cur => ({ ...cur!, attempts: [...cur!.attempts, { key: 'z#0.1', peer: 'z', round: 0, n: 1, startedAt: 5 }] })),
    ])
    const r = s.get('x')!
    expect(r.state).toBe('cancelled')
    expect(r.attempts.map(a => a.key).sort()).toEqual(['b#0.1', 'z#0.1'])
  })

  it('reads its newest writes before they commit, tells listeners in write order, and stores the last of them', async () => {
    const s = open()
    await s.merge([rec('x')], 1000)
    const heard: string[] = []
    s.onChange(changes => { for (const c of changes) heard.push(`${c.before?.state}>${c.after?.state}`) })
    const started = startAttempt(s.get('x')!, { self: 'b', now: 2000 }, 'f').record
    const writes = [s.merge([started], 1000), s.update('x', cur => cancelRecord(cur!, { self: 'c', now: 2001 }))]
    // Not committed yet, and already the store's answer (a finished record is no longer active: this is the pending write).
    expect(s.get('x')!.state).toBe('cancelled')
    expect(s.active('x')).toBeUndefined()
    await Promise.all(writes)
    expect(heard).toEqual(['pending>running', 'running>cancelled'])
    // A store opened afresh on the same files reads what was committed.
    const again = open()
    again.load()
    expect(again.get('x')!.state).toBe('cancelled')
    expect(again.get('x')!.attempts.map(a => a.key)).toEqual(['b#0.1'])
  })

  it('closes once its queued writes have committed, and refuses writes after that', async () => {
    const s = open()
    const pending = s.merge(['a', 'b'].map(rec), 1000)
    await s.close()
    // Committed by the time close resolves: a store opened afresh reads them.
    const again = open()
    again.load()
    expect(['a', 'b'].map(id => again.get(id)?.id)).toEqual(['a', 'b'])
    expect(await pending).toHaveLength(2)
    await expect(s.merge([rec('c')], 1000)).rejects.toThrow(/closed/)
  })

  it('holds a lazy merge back for its lazyMs, or until a write that cannot wait takes it along', async () => {
    const s = open()
    let lazyDone = false
    const lazy = s.merge([rec('l1')], 1000, 200).then(() => { lazyDone = true })
    await new Promise(r => setTimeout(r, 50))
    expect(lazyDone).toBe(false)
    expect(s.get('l1')).toBeDefined() // visible at once, committed later
    await s.merge([rec('e1')], 1000)
    await Promise.resolve()
    expect(lazyDone).toBe(true) // in the eager write's commit, 150 ms before its own deadline
    await lazy
    expect(store.db<TaskRecord, [number, string]>('tasks').get([hashPartition('l1', P), 'l1'])).toBeDefined()
    // Alone, it commits after its lazyMs.
    const t0 = performance.now()
    await s.merge([rec('l2')], 1000, 100)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90)
    // close() does not wait for it.
    void s.merge([rec('l3')], 1000, 60_000)
    await s.close()
    expect(store.db<TaskRecord, [number, string]>('tasks').get([hashPartition('l3', P), 'l3'])).toBeDefined()
  })

  it('rebuilds the digest and active set from disk', async () => {
    const s = open()
    await s.merge(['a', 'b', 'c'].map(rec), 1000)
    await s.update('b', cur => cancelRecord(cur!, { self: 'a', now: 2 }))
    const again = open()
    again.load()
    expect(again.digest.body()).toEqual(s.digest.body())
    expect([...again.activeRecords()].map(r => r.id).sort()).toEqual(['a', 'c'])
  })

  it('summarizes a partition by bucket: ids and fingerprints of what it holds now', async () => {
    const s = open()
    const ids = Array.from({ length: 200 }, (_, i) => `id${i}`)
    await s.merge(ids.map(rec), 1000)
    const p = hashPartition('id0', P)
    const mine = ids.filter(id => hashPartition(id, P) === p)
    const all = Array.from({ length: SYNC_BUCKETS }, (_, b) => b)
    const sum = s.summary(p, all)
    expect([...sum.ids].sort()).toEqual([...mine].sort())
    expect(sum.fps).toEqual(sum.ids.map(id => fingerprint(s.get(id)!)))
    const b = bucketOf('id0')
    expect(s.summary(p, [b]).ids).toEqual(mine.filter(id => bucketOf(id) === b))
    expect(s.bucketSize(p, b)).toBe(mine.filter(id => bucketOf(id) === b).length)
    // A write shows in the next summary and fingerprint.
    const after = await s.update('id0', cur => cancelRecord(cur!, { self: 'a', now: 2 }))
    expect(s.fingerprintOf('id0')).toBe(fingerprint(after!.after!))
    expect(s.summary(p, [b]).fps[s.summary(p, [b]).ids.indexOf('id0')]).toBe(fingerprint(after!.after!))
    expect(s.fingerprintOf('nope')).toBeUndefined()
  })

  it('collects finished records after the retention and refuses them when they come back', async () => {
    const s = open()
    await s.merge([rec('x'), rec('y')], 1000)
    const done = await s.update('x', cur => cancelRecord(cur!, { self: 'a', now: wall }))
    wall += 999
    expect(await s.collect(1000)).toBe(0)
    wall += 1
    expect(await s.collect(1000)).toBe(1)
    expect(s.get('x')).toBeUndefined()
    expect(await s.merge([done!.after!], 1000)).toEqual([])
    expect(s.get('x')).toBeUndefined()
    expect(s.get('y')).toBeDefined()
  })

  it('counts records by state and lists pending, running, failed and cancelled ones without a scan, also after a reload', async () => {
    const s = open()
    s.load()
    const ids = Array.from({ length: 12 }, (_, i) => `id${i}`)
    await s.merge(ids.map(rec), 1000)
    const retry = { attempts: 1, backoffMs: 0, backoffFactor: 1, lostMax: 3 }
    const end = (id: string, outcome: 'ok' | 'error') => s.update(id, (cur) => {
      const { record, attempt } = startAttempt(cur!, { self: 'a', now: wall }, 'f')
      return finishAttempt(record, { self: 'a', now: wall }, { key: attempt.key, outcome, retry, owner: true })
    })
    await s.update('id0', cur => startAttempt(cur!, { self: 'a', now: wall }, 'f').record)
    for (const id of ['id1', 'id2', 'id3']) await end(id, 'ok')
    for (const id of ['id4', 'id5']) await end(id, 'error')
    await s.update('id6', cur => cancelRecord(cur!, { self: 'a', now: wall }))
    await s.update('id7', cur => deleteRecord(cur!, { self: 'a', now: wall }))
    const expected = { pending: 4, running: 1, done: 3, failed: 2, cancelled: 1 }
    const listed = (t: TaskStore, state: TaskRecord['state']) => t.list({ state }).map(r => r.id).sort()
    const check = (t: TaskStore): void => {
      expect(t.overview(10).counts).toEqual(expected)
      expect(t.overview(10).total).toBe(11)
      // Counts alone: the same counts, no record.
      expect(t.overview(0)).toEqual({ counts: expected, total: 11, recent: [], failures: [] })
      expect(listed(t, 'pending')).toEqual(['id10', 'id11', 'id8', 'id9'])
      expect(listed(t, 'running')).toEqual(['id0'])
      expect(listed(t, 'failed')).toEqual(['id4', 'id5'])
      expect(listed(t, 'cancelled')).toEqual(['id6'])
      expect(listed(t, 'done')).toEqual(['id1', 'id2', 'id3'])
      expect(t.list({ state: 'pending', limit: 2 })).toHaveLength(2)
      expect(t.overview(1).failures.map(r => r.state)).toEqual(['failed'])
    }
    check(s)
    expect(s.overview(3).recent.map(r => r.id)).toEqual(['id6', 'id5', 'id4'])
    // A reload counts from disk.
    const again = open()
    again.load()
    check(again)
    // A failed task retried leaves the failed list; collected records leave the counts.
    await s.update('id4', cur => ({ ...cur!, state: 'pending', round: cur!.round + 1, version: cur!.version + 1 }))
    expect(listed(s, 'failed')).toEqual(['id5'])
    wall += 1000
    // done 3, failed 1, cancelled 1 and the tombstone.
    expect(await s.collect(1000)).toBe(6)
    expect(s.overview(10).counts).toEqual({ pending: 5, running: 1, done: 0, failed: 0, cancelled: 0 })
  })

  it('collects page by page: every collectable record on every page, none of the others; an abort stops it between pages', async () => {
    const s = open()
    const ids = Array.from({ length: 23 }, (_, i) => `id${i}`)
    await s.merge(ids.map(rec), 1000)
    const finished = ids.filter((_, i) => i % 3 !== 0)
    for (const id of finished) await s.update(id, cur => cancelRecord(cur!, { self: 'a', now: wall }))
    wall += 1000
    const aborted = new AbortController()
    aborted.abort(new Error('stopping'))
    await expect(s.collect(1000, { pageRecords: 4, signal: aborted.signal })).rejects.toThrow('stopping')
    expect(ids.filter(id => s.get(id) !== undefined)).toHaveLength(23)
    expect(await s.collect(1000, { pageRecords: 4 })).toBe(finished.length)
    expect(ids.filter(id => s.get(id) !== undefined).sort()).toEqual(ids.filter(id => !finished.includes(id)).sort())
    expect(await s.collect(1000, { pageRecords: 4 })).toBe(0)
  })

  it('refuses records filed under the wrong partition', async () => {
    const s = open()
    const r = rec('x')
    expect(await s.merge([{ ...r, partition: (r.partition + 1) % P }], 1000)).toEqual([])
  })
})
