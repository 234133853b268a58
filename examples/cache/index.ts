// Cache: every peer keeps its own in-memory cache (cache-set / cache-get
// answer from the peer that receives the request) and an "all" task,
// save-cache, writes each peer's cache to its own JSON file every hour
// (CACHE_SAVE_MS to change it), atomically. A restarted peer starts from its file.
import { z } from 'zod'
import { defineAction, defineApp, defineTask } from 'troupe'
import { getEntry, saveCache, setEntry } from './store.js'

const HOUR_MS = 3_600_000

function saveEveryMs(): number {
  const ms = Number(process.env.CACHE_SAVE_MS ?? HOUR_MS)
  if (!Number.isInteger(ms) || ms < 50) throw new Error(`CACHE_SAVE_MS must be an integer number of ms >= 50, got ${process.env.CACHE_SAVE_MS}`)
  return ms
}

const key = z.string().min(1).max(200)

const cacheSet = defineAction({
  name: 'cache-set',
  description: 'Sets `key` to the JSON `value` in the cache of the peer that answers.',
  input: z.object({ key, value: z.json() }),
  get: false,
  run: async (ctx, input) => ({ key: input.key, size: await setEntry(ctx.peer.id, input.key, input.value), peer: ctx.peer.id }),
})

const cacheGet = defineAction({
  name: 'cache-get',
  description: 'Reads `key` from the cache of the peer that answers.',
  input: z.object({ key }),
  run: async (ctx, input) => ({ key: input.key, ...(await getEntry(ctx.peer.id, input.key)), peer: ctx.peer.id }),
})

const saveCacheTask = defineTask({
  name: 'save-cache',
  description: "Saves this peer's cache to CACHE_DIR/cache-<peer id>.json (write temp + rename).",
  scope: 'all',
  input: z.object({}),
  frequencyMs: saveEveryMs(),
  timeoutMs: 60_000,
  retry: { attempts: 3, backoffMs: 1_000 },
  run: async ctx => {
    const saved = await saveCache(ctx.peer.id)
    if (saved.written) ctx.logger.debug('cache saved', saved)
    return saved
  },
})

export default defineApp({
  name: 'cache',
  actions: [cacheSet, cacheGet],
  tasks: [saveCacheTask],
})
