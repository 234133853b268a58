// One peer per data folder. A second process opening the same folder would
// share the identity and the store; refuse it with a clear error. The lock
// is a file holding the owner's pid, created exclusively; a lock whose pid
// no longer runs is stale and taken over.

import { open, readFile, unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import { ConfigError } from '../errors.js'

export const LOCK_FILE = 'troupe.lock'

export interface FolderLock {
  release(): Promise<void>
}

/** Folders locked by this process: a lock file naming our own pid is not stale if we hold it. */
const heldHere = new Set<string>()

export async function lockDataDir(dataDir: string): Promise<FolderLock> {
  const path = resolve(dataDir, LOCK_FILE)
  if (heldHere.has(path)) throw new ConfigError(`the data folder ${dataDir} is in use by another peer in this process; give each peer its own data folder`)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      heldHere.add(path)
      return {
        release: async () => {
          heldHere.delete(path)
          await removeIfPresent(path)
        },
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'EEXIST') throw new ConfigError(`cannot lock the data folder ${dataDir}: ${(err as Error).message}`, { cause: err })
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10)
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new ConfigError(`the data folder ${dataDir} is in use by another peer (pid ${owner}); give each peer its own --data folder`)
      }
      // Stale: its owner is gone (or it is an earlier life of this pid). Take it over.
      await removeIfPresent(path)
    }
  }
  throw new ConfigError(`cannot lock the data folder ${dataDir}: another process keeps recreating ${LOCK_FILE}`)
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
