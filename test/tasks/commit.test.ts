// GroupCommit's 'background' and 'auto' modes against a stand-in for lmdb-js's asynchronous puts, whose commits this
// test ends when it chooses: what the store reads while a commit is under way on lmdb's thread, and the order of
// commits, inline ones included. (With a real environment the commit usually lands before the test could look;
// test/tasks/store.test.ts runs the store's own tests on real lmdb in every mode.)
import type { Database } from 'lmdb'
import { describe, expect, it } from 'vitest'
import { GroupCommit, type CommitMode, type RecordKey } from '../../src/tasks/commit.js'
import { SMALL_COMMIT_WRITES } from '../../src/tasks/constants.js'

interface Value { id: string, v: number }

/**
 * Asynchronous puts whose commits end when `commit()` (or `fail()`) is called, in order; a synchronous transaction
 * (an inline commit) records its writes as `sync put ...` and fails if one of those commits is still open.
 */
function slowDb (): { db: Database<unknown, RecordKey>, puts: string[], pendingCommits: () => number, commit: () => void, fail: (err: Error) => void } {
  const puts: string[] = []
  const commits: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  let open: Promise<void> | undefined
  const write = (label: string): Promise<void> => {
    puts.push(label)
    // The puts of one turn share one commit, as lmdb-js's do.
    if (open === undefined) {
      open = new Promise<void>((resolve, reject) => { commits.push({ resolve, reject }) })
      queueMicrotask(() => { open = undefined })
    }
    return open
  }
  let inTransaction = false
  const db = {
    put: (key: RecordKey, value: unknown) => inTransaction ? void puts.push(`sync put ${key[1]}=${(value as Value).v}`) : write(`put ${key[1]}=${(value as Value).v}`),
    remove: (key: RecordKey) => inTransaction ? void puts.push(`sync remove ${key[1]}`) : write(`remove ${key[1]}`),
    transactionSync: (fn: () => void) => {
      // lmdb-js would take it after its open commits; GroupCommit must not even ask while one of its own is open.
      if (commits.length > 0) throw new Error('an inline commit while a background one is under way')
      inTransaction = true
      try { fn() } finally { inTransaction = false }
    },
  } as unknown as Database<unknown, RecordKey>
  return {
    db,
    puts,
    pendingCommits: () => commits.length,
    commit: () => { commits.shift()?.resolve() },
    fail: (err) => { commits.shift()?.reject(err) },
  }
}

const turn = (): Promise<void> => new Promise(resolve => setImmediate(resolve))

function groupCommit (db: Database<unknown, RecordKey>, mode: CommitMode = 'background'): GroupCommit<Value> {
  return new GroupCommit<Value>(db, v => v, v => [0, v.id], undefined, undefined, mode)
}

describe('GroupCommit, background commits', () => {
  it('reads the newest write while the commit before it is under way, and starts the next commit only when that one ends', async () => {
    const lmdb = slowDb()
    const gc = groupCommit(lmdb.db)
    gc.put('a', { id: 'a', v: 1 })
    gc.put('b', { id: 'b', v: 1 })
    let first = false
    const c1 = gc.committed().then(() => { first = true })
    await turn()
    expect(lmdb.puts).toEqual(['put a=1', 'put b=1'])
    // Under way: still read from the commit's own writes, and the newer write of `a` wins.
    gc.put('a', { id: 'a', v: 2 })
    gc.remove([0, 'b'])
    expect(gc.pending('a')).toEqual({ id: 'a', v: 2 })
    expect(gc.has('b')).toBe(true)
    expect(gc.pending('b')).toBeUndefined()
    gc.put('c', { id: 'c', v: 1 })
    let second = false
    const c2 = gc.committed().then(() => { second = true })
    await turn()
    // The second commit waits for the first.
    expect(lmdb.puts).toEqual(['put a=1', 'put b=1'])
    expect([first, second]).toEqual([false, false])
    expect([...gc.uncommitted()]).toEqual([['a', { id: 'a', v: 2 }], ['b', undefined], ['c', { id: 'c', v: 1 }]])
    lmdb.commit()
    await c1
    await turn()
    expect(lmdb.puts).toEqual(['put a=1', 'put b=1', 'put a=2', 'remove b', 'put c=1'])
    expect(second).toBe(false)
    expect(gc.pending('c')).toEqual({ id: 'c', v: 1 })
    lmdb.commit()
    await c2
    expect(gc.has('a') || gc.has('b') || gc.has('c')).toBe(false)
  })

  it('fails the batch whose commit failed, and commits the next one', async () => {
    const lmdb = slowDb()
    const gc = groupCommit(lmdb.db)
    gc.put('a', { id: 'a', v: 1 })
    const c1 = gc.committed()
    await turn()
    gc.put('b', { id: 'b', v: 1 })
    const c2 = gc.committed()
    lmdb.fail(new Error('MDB_MAP_FULL'))
    await expect(c1).rejects.toThrow('MDB_MAP_FULL')
    await turn()
    expect(lmdb.puts).toEqual(['put a=1', 'put b=1'])
    lmdb.commit()
    await expect(c2).resolves.toBeUndefined()
  })

  it('closes once the commit under way and the writes queued behind it have committed, lazy ones included', async () => {
    const lmdb = slowDb()
    const gc = groupCommit(lmdb.db)
    gc.put('a', { id: 'a', v: 1 })
    void gc.committed()
    await turn()
    gc.put('b', { id: 'b', v: 1 })
    void gc.committed(60_000)
    let closed = false
    const closing = gc.close().then(() => { closed = true })
    expect(() => { gc.check() }).toThrow(/closed/)
    await turn()
    expect(closed).toBe(false)
    lmdb.commit()
    await turn()
    expect(lmdb.puts).toEqual(['put a=1', 'put b=1'])
    expect(closed).toBe(false)
    lmdb.commit()
    await closing
    expect(lmdb.pendingCommits()).toBe(0)
  })
})

describe('GroupCommit, auto commits', () => {
  const many = (gc: GroupCommit<Value>, prefix: string, n: number, v = 1): void => {
    for (let i = 0; i < n; i++) gc.put(`${prefix}${i}`, { id: `${prefix}${i}`, v })
  }

  it(`commits at most ${SMALL_COMMIT_WRITES} writes on lmdb's thread and more inline, one commit after the other`, async () => {
    const lmdb = slowDb()
    const gc = groupCommit(lmdb.db, 'auto')
    // A light load's commit: in the background, the event loop not waiting for it.
    gc.put('a', { id: 'a', v: 1 })
    let first = false
    const c1 = gc.committed().then(() => { first = true })
    await turn()
    expect(lmdb.puts).toEqual(['put a=1'])
    expect(lmdb.pendingCommits()).toBe(1)
    // A large one queued meanwhile waits for it, then commits inline; the newest write of `a` is read throughout.
    many(gc, 'x', SMALL_COMMIT_WRITES)
    gc.put('a', { id: 'a', v: 2 })
    const c2 = gc.committed()
    await turn()
    expect(lmdb.puts).toHaveLength(1)
    expect(gc.pending('a')).toEqual({ id: 'a', v: 2 })
    expect(first).toBe(false)
    lmdb.commit()
    await c1
    await c2
    expect(lmdb.puts.slice(1)).toEqual([...Array.from({ length: SMALL_COMMIT_WRITES }, (_, i) => `sync put x${i}=1`), 'sync put a=2'])
    expect(lmdb.pendingCommits()).toBe(0)
    expect(gc.has('a')).toBe(false)
    // Exactly the limit: in the background again.
    many(gc, 'y', SMALL_COMMIT_WRITES)
    const c3 = gc.committed()
    await turn()
    expect(lmdb.puts.slice(-SMALL_COMMIT_WRITES)).toEqual(Array.from({ length: SMALL_COMMIT_WRITES }, (_, i) => `put y${i}=1`))
    expect(lmdb.pendingCommits()).toBe(1)
    lmdb.commit()
    await c3
  })

  it('closes once the small commit under way and the large one queued behind it have committed', async () => {
    const lmdb = slowDb()
    const gc = groupCommit(lmdb.db, 'auto')
    gc.remove([0, 'gone'])
    void gc.committed()
    await turn()
    many(gc, 'z', SMALL_COMMIT_WRITES + 1)
    void gc.committed(60_000)
    let closed = false
    const closing = gc.close().then(() => { closed = true })
    await turn()
    expect(closed).toBe(false)
    lmdb.commit()
    await closing
    expect(lmdb.puts).toEqual(['remove gone', ...Array.from({ length: SMALL_COMMIT_WRITES + 1 }, (_, i) => `sync put z${i}=1`)])
  })
})
