// Each peer's in-memory cache, keyed by peer id (so several peers in one
// process, as in the tests, keep separate caches), and saving it to
// `<CACHE_DIR>/cache-<peer id>.json` atomically: write a temporary file in the
// same folder, flush it, then rename it over the old one. A reader (or a crash)
// sees the old file or the new one, never half of one.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export interface SavedCache {
  peer: string
  savedAt: string
  entries: Record<string, unknown>
}

interface PeerCache {
  readonly entries: Map<string, unknown>
  /** Bumped by every change; the save remembers which version it wrote. */
  version: number
  savedVersion: number
  /** Saves of one peer run one after another. */
  saving: Promise<unknown>
}

const caches = new Map<string, Promise<PeerCache>>()

/** CACHE_DIR, default .troupe. */
export function cacheDir(): string {
  return resolve(process.env.CACHE_DIR ?? '.troupe')
}

export function cacheFile(peerId: string): string {
  return join(cacheDir(), `cache-${peerId}.json`)
}

/** The peer's cache; on first use it starts from the peer's last saved file, if any. */
function cacheOf(peerId: string): Promise<PeerCache> {
  let cache = caches.get(peerId)
  if (cache === undefined) {
    cache = load(peerId)
    caches.set(peerId, cache)
  }
  return cache
}

async function load(peerId: string): Promise<PeerCache> {
  const entries = new Map<string, unknown>()
  try {
    const saved = JSON.parse(await readFile(cacheFile(peerId), 'utf8')) as SavedCache
    for (const [k, v] of Object.entries(saved.entries)) entries.set(k, v)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return { entries, version: 0, savedVersion: -1, saving: Promise.resolve() }
}

export async function setEntry(peerId: string, key: string, value: unknown): Promise<number> {
  const cache = await cacheOf(peerId)
  cache.entries.set(key, value)
  cache.version++
  return cache.entries.size
}

export async function getEntry(peerId: string, key: string): Promise<{ found: boolean, value?: unknown }> {
  const cache = await cacheOf(peerId)
  return cache.entries.has(key) ? { found: true, value: cache.entries.get(key) } : { found: false }
}

/** Writes the peer's cache if it changed since the last save (the first save always writes). */
export async function saveCache(peerId: string): Promise<{ file: string, entries: number, written: boolean }> {
  const cache = await cacheOf(peerId)
  const run = cache.saving.catch(() => undefined).then(async () => {
    const file = cacheFile(peerId)
    const version = cache.version
    if (version === cache.savedVersion) return { file, entries: cache.entries.size, written: false }
    const saved: SavedCache = { peer: peerId, savedAt: new Date().toISOString(), entries: Object.fromEntries(cache.entries) }
    await writeAtomically(file, JSON.stringify(saved, null, 2) + '\n')
    cache.savedVersion = version
    return { file, entries: cache.entries.size, written: true }
  })
  cache.saving = run
  return run
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const dir = resolve(file, '..')
  await mkdir(dir, { recursive: true })
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(text, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
