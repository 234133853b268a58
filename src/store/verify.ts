// Start-time checks of a store: its format marker, and (optionally) every
// value of every sub-database against its checksum, so that damage inside
// the data pages stops the start with one clear line instead of being read
// later as a wrong value.

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RootDatabase } from 'lmdb'
import { ConfigError } from '../errors.js'
import { withChecksums } from './checksum.js'

/** Written next to data.mdb by a Troupe that checksums values; a store without it was written without checksums. */
export const FORMAT_FILE = 'troupe-store-format'
export const STORE_FORMAT = 'values-crc32 1'

/** Throws a ConfigError when an existing store has another format; marks a new store. */
export async function checkFormat(storeDir: string, hasData: boolean): Promise<void> {
  const file = join(storeDir, FORMAT_FILE)
  let found: string | undefined
  try {
    found = (await readFile(file, 'utf8')).trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  if (found === STORE_FORMAT) return
  if (found === undefined && !hasData) {
    await writeFile(file, `${STORE_FORMAT}\n`)
    return
  }
  const what = found === undefined ? 'an older Troupe (values without checksums)' : `store format "${found}"`
  throw new ConfigError(`the store in ${storeDir} was written by ${what}; this Troupe reads "${STORE_FORMAT}". Move the folder away to start with an empty store (tasks and actor state come back from the other peers)`, { code: 'ERR_STORE_FORMAT' })
}

/** Reads every value of every sub-database; throws a ConfigError naming the first damaged one. Returns how many values were read. */
export function verifyValues(root: RootDatabase, storeDir: string): number {
  let values = 0
  for (const name of root.getKeys()) {
    if (typeof name !== 'string') continue
    const db = root.openDB(withChecksums(name))
    let key: unknown
    try {
      for (const entry of db.getRange()) {
        key = entry.key
        values++
      }
    } catch (err) {
      throw new ConfigError(`the store in ${storeDir} is damaged: sub-database "${name}", after key ${JSON.stringify(key) ?? 'none'}: ${(err as Error).message}. The peer will not start on it. Restore it from a backup, or move it away to start with an empty store (the tasks and actor state its replicas hold come back from the other peers)`, { code: 'ERR_STORE_CORRUPT', cause: err })
    }
  }
  return values
}
