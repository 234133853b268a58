// The marker of whether the last run on a data folder stopped gracefully, on a
// real store reopened between "runs".

import { afterEach, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/store.js'
import { lastRunCrashed, markRunStarted, markRunStopped } from '../../src/store/runs.js'
import { tempDir } from '../helpers/tmp.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

describe('run marker', () => {
  it('says crashed only after a run that started and did not stop; a new folder or a failed start says nothing', async () => {
    const dir = await tempDir()
    cleanups.push(dir.remove)
    const run = async (body: (store: Awaited<ReturnType<typeof openStore>>) => Promise<void>): Promise<boolean> => {
      const store = await openStore(dir.path)
      const crashed = lastRunCrashed(store)
      await body(store)
      await store.close()
      return crashed
    }
    // A new folder; then a run that starts and stops gracefully.
    expect(await run(async s => { await markRunStarted(s); await markRunStopped(s) })).toBe(false)
    // The next run sees a clean stop; it starts and "crashes" (never marks stopped).
    expect(await run(async s => { await markRunStarted(s) })).toBe(false)
    // A start that fails before marking leaves the crash on record for the one after it.
    expect(await run(async () => {})).toBe(true)
    expect(await run(async s => { await markRunStarted(s); await markRunStopped(s) })).toBe(true)
    expect(await run(async () => {})).toBe(false)
  })
})
