// The embedded durable store: one LMDB environment in the data folder, with a
// named sub-database per component (meta, tasks, leases, actor state, ...).
// Values are msgpack (lmdb's default encoding, msgpackr underneath).

import { open, type Database, type RootDatabase } from 'lmdb'
import { access, constants, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../errors.js'
import { systemTimers, type Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { withChecksums } from './checksum.js'
import { guardWrites } from './guard.js'
import { checkDataFile, DATA_FILE } from './header.js'
import { lockDataDir, type FolderLock } from './lock.js'
import { DiskSpace, STORE_FREE_BYTES_MIN_DEFAULT } from './space.js'
import { checkFormat, verifyValues } from './verify.js'

export const STORE_FOLDER = 'store'
/** Sub-databases whose writes may use the free-space reserve: the lease state is tiny and the cluster's progress needs it. */
const RESERVE_USERS = new Set(['lease'])

export interface StoreOptions {
  /** Writes are refused (StoreFullError) while the disk has less free than this; default 64 MiB. 0 turns the check off. */
  freeBytesMin?: number
  timers?: Timers
  logger?: Logger
  /** How free space is measured (tests); default statfs. */
  measureFreeBytes?: (path: string) => Promise<number>
  /** Read every stored value at open and refuse a store with a damaged one (default true; costs one pass over the data). */
  verify?: boolean
}

export interface Store {
  readonly dataDir: string
  /** A named sub-database. Names are fixed by the components that use them. */
  db<V = unknown, K extends string | number | Array<string | number> = string>(name: string): Database<V, K>
  /**
   * Resolves once every write committed before the call is on disk: whoever promises durability (a replica's ack)
   * waits for this. An asynchronous write's commit resolves before its flush (overlappingSync); a synchronous
   * transaction's commit syncs before it returns in that mode, so the environment sync this adds finds it on disk
   * already. Calls made while a flush runs share the next one.
   */
  flushed(): Promise<void>
  close(): Promise<void>
}

export async function openStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  try {
    await mkdir(dataDir, { recursive: true })
    await access(dataDir, constants.R_OK | constants.W_OK)
  } catch (err) {
    throw new ConfigError(`the data folder ${dataDir} is not usable: ${(err as Error).message}`, { cause: err })
  }
  const lock = await lockDataDir(dataDir)
  const space = new DiskSpace({ path: dataDir, freeBytesMin: options.freeBytesMin ?? STORE_FREE_BYTES_MIN_DEFAULT, timers: options.timers ?? systemTimers, logger: options.logger, measure: options.measureFreeBytes })
  let root: RootDatabase
  try {
    const storeDir = join(dataDir, STORE_FOLDER)
    const hasData = await checkDataFile(join(storeDir, DATA_FILE), storeDir)
    await space.start()
    if (space.full) throw new ConfigError(`cannot start: ${space.describe()}`, { code: 'ERR_STORE_FULL' })
    await mkdir(storeDir, { recursive: true })
    await checkFormat(storeDir, hasData)
    root = open({ path: storeDir, maxDbs: 32, mapSize: 2 * 1024 ** 3 })
    if (options.verify !== false) verifyOrClose(root, storeDir)
  } catch (err) {
    space.stop()
    await lock.release()
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`cannot open the store in ${dataDir}: ${(err as Error).message}`, { cause: err })
  }
  return new LmdbStore(dataDir, root, lock, space)
}

class LmdbStore implements Store {
  readonly dataDir: string
  private readonly root: RootDatabase
  private readonly lock: FolderLock
  private readonly space: DiskSpace
  private readonly dbs = new Map<string, Database<unknown, never>>()
  private readonly syncs: Flushes

  constructor(dataDir: string, root: RootDatabase, lock: FolderLock, space: DiskSpace) {
    this.dataDir = dataDir
    this.root = root
    this.lock = lock
    this.space = space
    // lmdb-js's env sync (mdb_env_sync on its thread); not in its typings.
    const env = root as unknown as { sync: (done: (err?: unknown) => void) => void }
    this.syncs = new Flushes(done => { env.sync(done) })
  }

  async flushed(): Promise<void> {
    // The asynchronous writes' own flush, and a sync of the environment for the synchronous transactions' (lmdb-js
    // tracks no flush of those).
    await Promise.all([this.root.flushed, this.syncs.next()])
  }

  db<V = unknown, K extends string | number | Array<string | number> = string>(name: string): Database<V, K> {
    let db = this.dbs.get(name)
    if (db === undefined) {
      const opened = this.root.openDB(withChecksums(name)) as unknown as Database<unknown, never>
      db = RESERVE_USERS.has(name) ? opened : guardWrites(opened, () => { this.space.check() })
      this.dbs.set(name, db)
    }
    return db as unknown as Database<V, K>
  }

  async close(): Promise<void> {
    this.space.stop()
    // Closing does not flush the synchronous transactions: flush first, and close whether or not that fails.
    const failed = await this.flushed().then(() => undefined, (err: unknown) => err as Error)
    await this.root.close()
    await this.lock.release()
    if (failed !== undefined) throw failed
  }
}

/**
 * Flushes of the environment to disk, one at a time: a caller waits for one that starts after its call, so callers
 * that come while one runs share the next (a group fsync).
 */
export class Flushes {
  private running: Promise<void> | undefined
  private queued: Promise<void> | undefined

  /** `sync` flushes every commit made before it is called and calls back once done (lmdb's env sync). */
  constructor(private readonly sync: (done: (err?: unknown) => void) => void) {}

  next(): Promise<void> {
    const running = this.running
    if (running === undefined) return this.start()
    // The one under way may have started before the caller's commit.
    return this.queued ??= running.then(() => this.startQueued(), () => this.startQueued())
  }

  private startQueued(): Promise<void> {
    this.queued = undefined
    return this.start()
  }

  private start(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => {
      this.sync((err) => { if (err === undefined || err === null) resolve(); else reject(err instanceof Error ? err : new Error(String(err))) })
    })
    this.running = p
    const clear = (): void => { if (this.running === p) this.running = undefined }
    p.then(clear, clear)
    return p
  }
}

export { StoreFullError, STORE_FREE_BYTES_MIN_DEFAULT } from './space.js'
export { StoreCorruptError } from './checksum.js'

function verifyOrClose(root: RootDatabase, storeDir: string): void {
  try {
    verifyValues(root, storeDir)
  } catch (err) {
    void root.close()
    throw err
  }
}

/** Reads, increments and durably stores the start counter: each start of a peer gets a larger incarnation. */
export async function nextIncarnation(store: Store): Promise<number> {
  const meta = store.db<number>('meta')
  const next = (meta.get('incarnation') ?? 0) + 1
  await meta.put('incarnation', next)
  return next
}
