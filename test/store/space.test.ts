// The free-space reserve on a real lmdb store in a real folder, with the
// measured free space and the re-measure timer driven by the test.

import { afterEach, describe, expect, it } from 'vitest'
import { openStore, StoreFullError, type Store } from '../../src/store/store.js'
import { checkDataFile } from '../../src/store/header.js'
import type { Timers, TimerHandle } from '../../src/util/clock.js'
import { tempDir } from '../helpers/tmp.js'
import { join } from 'node:path'

const MIB = 1024 * 1024

/** Timers whose callbacks run when the test says so. */
function manualTimers(): Timers & { fire(): Promise<void> } {
  const due = new Map<number, () => void>()
  let next = 0
  return {
    setTimeout(fn) { const id = next++; due.set(id, fn); return { id } },
    clearTimeout(handle: TimerHandle) { due.delete(handle.id as number) },
    async fire() {
      const fns = [...due.values()]
      due.clear()
      for (const fn of fns) fn()
      await new Promise(resolve => setImmediate(resolve))
    },
  }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

async function open(free: { bytes: number }, timers: Timers): Promise<Store> {
  const dir = await tempDir()
  cleanups.push(dir.remove)
  const store = await openStore(dir.path, { freeBytesMin: 8 * MIB, timers, measureFreeBytes: async () => free.bytes })
  cleanups.push(() => store.close())
  return store
}

describe('the free-space reserve', () => {
  it('refuses writes below the reserve without touching the data, keeps reads and lease writes, and accepts writes again when space is back', async () => {
    const free = { bytes: 100 * MIB }
    const timers = manualTimers()
    const store = await open(free, timers)
    const tasks = store.db<string>('tasks')
    await tasks.put('kept', 'v1')

    free.bytes = 1 * MIB
    await timers.fire()
    expect(() => tasks.put('new', 'x')).toThrow(StoreFullError)
    let ran = false
    expect(() => tasks.transaction(() => { ran = true })).toThrow(expect.objectContaining({ code: 'ERR_STORE_FULL', status: 507, retryable: true, message: expect.stringMatching(/1\.0 MiB free, less than the 8\.0 MiB reserve/) }))
    expect(ran).toBe(false)
    expect(() => tasks.putSync('new', 'x')).toThrow(StoreFullError)
    expect(tasks.get('kept')).toBe('v1')
    expect(tasks.get('new')).toBeUndefined()
    // An async caller sees a rejection, as from any failed write.
    await expect((async () => { await tasks.put('new', 'x') })()).rejects.toThrow(StoreFullError)
    // The lease state may use the reserve.
    store.db<number>('lease').putSync('state', 7)
    expect(store.db<number>('lease').get('state')).toBe(7)

    free.bytes = 50 * MIB
    await timers.fire()
    await tasks.put('new', 'x')
    expect(tasks.get('new')).toBe('x')
  })

  it('refuses to open below the reserve, with one line saying what to do', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    await expect(openStore(dir.path, { freeBytesMin: 8 * MIB, measureFreeBytes: async () => 2 * MIB }))
      .rejects.toMatchObject({ name: 'ConfigError', code: 'ERR_STORE_FULL', message: expect.stringMatching(/^cannot start: the disk holding .* has 2\.0 MiB free, less than the 8\.0 MiB reserve \(storeFreeBytesMin\)/) })
    // The folder's lock was released: a later open with room succeeds.
    const store = await openStore(dir.path, { freeBytesMin: 8 * MIB, measureFreeBytes: async () => 20 * MIB })
    await store.close()
  })
})

describe('the store file header check', () => {
  it('passes stores lmdb wrote: fresh, and after many writes, deletes and reopenings (a canary for the header layout)', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const file = join(dir.path, 'store', 'data.mdb')
    for (let round = 0; round < 3; round++) {
      const store = await openStore(dir.path)
      const db = store.db<string>('tasks')
      for (let i = 0; i < 300; i++) void db.put(`k${round}-${i}`, 'x'.repeat(500 + i * 7))
      await db.put('last', 'y')
      for (let i = 0; i < 300; i += 2) void db.remove(`k${round}-${i}`)
      await db.put('last', 'z')
      await store.close()
      await expect(checkDataFile(file, join(dir.path, 'store'))).resolves.toBe(true)
    }
  })
})
