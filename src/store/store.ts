// The embedded durable store: one LMDB environment in the data folder, with a
// named sub-database per component (meta, tasks, leases, actor state, ...).
// Values are msgpack (lmdb's default encoding, msgpackr underneath).

import { open, type Database, type RootDatabase } from 'lmdb'
import { access, constants, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '../errors.js'
import { lockDataDir, type FolderLock } from './lock.js'

export const STORE_FOLDER = 'store'

export interface Store {
  readonly dataDir: string
  /** A named sub-database. Names are fixed by the components that use them. */
  db<V = unknown, K extends string | number | Array<string | number> = string>(name: string): Database<V, K>
  close(): Promise<void>
}

export async function openStore(dataDir: string): Promise<Store> {
  try {
    await mkdir(dataDir, { recursive: true })
    await access(dataDir, constants.R_OK | constants.W_OK)
  } catch (err) {
    throw new ConfigError(`the data folder ${dataDir} is not usable: ${(err as Error).message}`, { cause: err })
  }
  const lock = await lockDataDir(dataDir)
  let root: RootDatabase
  try {
    root = open({ path: join(dataDir, STORE_FOLDER), maxDbs: 32, mapSize: 2 * 1024 ** 3 })
  } catch (err) {
    await lock.release()
    throw new ConfigError(`cannot open the store in ${dataDir}: ${(err as Error).message}`, { cause: err })
  }
  return new LmdbStore(dataDir, root, lock)
}

class LmdbStore implements Store {
  readonly dataDir: string
  private readonly root: RootDatabase
  private readonly lock: FolderLock
  private readonly dbs = new Map<string, Database<unknown, never>>()

  constructor(dataDir: string, root: RootDatabase, lock: FolderLock) {
    this.dataDir = dataDir
    this.root = root
    this.lock = lock
  }

  db<V = unknown, K extends string | number | Array<string | number> = string>(name: string): Database<V, K> {
    let db = this.dbs.get(name)
    if (db === undefined) {
      db = this.root.openDB({ name }) as unknown as Database<unknown, never>
      this.dbs.set(name, db)
    }
    return db as unknown as Database<V, K>
  }

  async close(): Promise<void> {
    await this.root.close()
    await this.lock.release()
  }
}

/** Reads, increments and durably stores the start counter: each start of a peer gets a larger incarnation. */
export async function nextIncarnation(store: Store): Promise<number> {
  const meta = store.db<number>('meta')
  const next = (meta.get('incarnation') ?? 0) + 1
  await meta.put('incarnation', next)
  return next
}
