// The store's flushes to disk (a group fsync): the flush a caller waits for
// starts after its call, callers that come while one runs share the next, and
// a failed flush fails its callers only. The sync itself is driven by the
// test; the last test runs the real one on a real store.

import { afterEach, describe, expect, it } from 'vitest'
import { Flushes, openStore } from '../../src/store/store.js'
import { TaskStore } from '../../src/tasks/store.js'
import { hashPartition } from '../../src/tasks/claims.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { tempDir } from '../helpers/tmp.js'

/** A sync whose runs end when the test says so. */
function manualSync(): { sync: (done: (err?: unknown) => void) => void, runs: Array<(err?: unknown) => void> } {
  const runs: Array<(err?: unknown) => void> = []
  return { runs, sync: (done) => { runs.push(done) } }
}

/** Lets settled promises run their callbacks. */
const settle = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

describe('Flushes', () => {
  it('starts a flush at once when none runs, and resolves when it ends', async () => {
    const { sync, runs } = manualSync()
    const flushes = new Flushes(sync)
    let done = false
    const p = flushes.next().then(() => { done = true })
    expect(runs).toHaveLength(1)
    await settle()
    expect(done).toBe(false)
    runs[0]!()
    await p
    expect(done).toBe(true)
  })

  it('makes callers that come while a flush runs wait for one more, which they share', async () => {
    const { sync, runs } = manualSync()
    const flushes = new Flushes(sync)
    const first = flushes.next()
    const ended: string[] = []
    const late = [flushes.next(), flushes.next(), flushes.next()].map((p, i) => p.then(() => { ended.push(`late${i}`) }))
    // The running flush may have started before their commits: none of them is done when it ends.
    expect(runs).toHaveLength(1)
    runs[0]!()
    await first
    await settle()
    expect(ended).toEqual([])
    // One more flush for all three, started once the first ended.
    expect(runs).toHaveLength(2)
    runs[1]!()
    await Promise.all(late)
    expect(ended).toEqual(['late0', 'late1', 'late2'])
    // Idle again: the next call starts its own.
    void flushes.next()
    expect(runs).toHaveLength(3)
    runs[2]!()
  })

  it('rejects the callers of a failed flush only, and flushes again for the next', async () => {
    const { sync, runs } = manualSync()
    const flushes = new Flushes(sync)
    const failed = flushes.next()
    const waiting = flushes.next()
    runs[0]!(new Error('EIO'))
    await expect(failed).rejects.toThrow('EIO')
    // The callers queued behind it get a flush of their own.
    await settle()
    expect(runs).toHaveLength(2)
    runs[1]!()
    await expect(waiting).resolves.toBeUndefined()
  })
})

describe('the store flushes its synchronous commits', () => {
  it('resolves flushed() after task writes, and a store opened afresh reads them', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const P = 8
    const store = await openStore(dir.path)
    const tasks = new TaskStore(store, id => hashPartition(id, P), P, () => 1_000)
    const rec = (id: string): TaskRecord => newRecord({ id, name: 'job', scope: 'any', partition: hashPartition(id, P), input: { id }, priority: 0, runAt: 0, now: 1_000, self: 'a' })
    await tasks.create(['a', 'b', 'c'].map(rec))
    await Promise.all([tasks.flushed(), tasks.flushed()])
    await tasks.close()
    await store.close()
    const again = await openStore(dir.path)
    cleanups.push(() => again.close())
    const reread = new TaskStore(again, id => hashPartition(id, P), P, () => 1_000)
    reread.load()
    expect(['a', 'b', 'c'].map(id => reread.get(id)?.input)).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }])
  })
})
