// Checks the LMDB data file before lmdb opens it. lmdb-js does not reject a
// damaged file cleanly: a file overwritten with garbage crashes the process
// (SIGSEGV), a truncated one crashes it on first read (SIGBUS), and an empty
// one is silently initialised as a new, empty store. So we read the two meta
// pages ourselves and refuse to start on anything but a sound header.
//
// Layout (lmdb-js 3.x, its LMDB fork, 64-bit little-endian; see MDB_meta in
// dependencies/lmdb/libraries/liblmdb/mdb.c): each of the first two pages is a
// meta page: a 24-byte page header, then mm_magic (u32), mm_version (u32),
// mm_address, mm_mapsize, two 48-byte MDB_db records (the first one's md_pad
// is the page size), mm_last_pg (u64), mm_txnid (u64). A fresh store passing
// this check is tested (test/store/corrupt.test.ts), so a layout change in
// lmdb shows up as a failing test, not as peers refusing to start.

import { open, stat } from 'node:fs/promises'
import { ConfigError } from '../errors.js'

export const DATA_FILE = 'data.mdb'

const MAGIC = 0xbeefc0de
const MAGIC_AT = 24
const PAGE_SIZE_AT = 48
const LAST_PAGE_AT = 144
const TXNID_AT = 152
const META_BYTES = 160
const PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536])

interface Meta { pageSize: number, lastPage: bigint, txnid: bigint }

/** Throws a ConfigError naming `file` when it exists but is not a sound LMDB data file; a missing file is fine (a new store). Returns whether the file exists. */
export async function checkDataFile(file: string, storeDir: string): Promise<boolean> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw new ConfigError(`cannot read the store file ${file}: ${(err as Error).message}`, { cause: err })
  }
  const problem = await findProblem(file, size)
  if (problem === undefined) return true
  throw new ConfigError(`the store file ${file} is corrupt (${problem}); the peer will not start on it. Restore ${storeDir} from a backup, or move it away to start with an empty store (the tasks and actor state its replicas hold come back from the other peers)`, { code: 'ERR_STORE_CORRUPT' })
}

async function findProblem(file: string, size: number): Promise<string | undefined> {
  if (size === 0) return 'it is empty'
  const handle = await open(file, 'r')
  try {
    const first = await readMeta(handle, 0)
    if (first === undefined) return size < META_BYTES ? `it is truncated to ${size} bytes` : 'no LMDB header at its start'
    if (size < 2 * first.pageSize) return `it is truncated to ${size} bytes`
    const second = await readMeta(handle, first.pageSize)
    if (second === undefined || second.pageSize !== first.pageSize) return 'its second header page is damaged'
    const current = first.txnid >= second.txnid ? first : second
    const needed = (current.lastPage + 1n) * BigInt(current.pageSize)
    if (BigInt(size) < needed) return `it is truncated: ${size} bytes, its header says ${needed}`
    return undefined
  } finally {
    await handle.close()
  }
}

async function readMeta(handle: Awaited<ReturnType<typeof open>>, at: number): Promise<Meta | undefined> {
  const buf = Buffer.alloc(META_BYTES)
  const { bytesRead } = await handle.read(buf, 0, META_BYTES, at)
  if (bytesRead < META_BYTES || buf.readUInt32LE(MAGIC_AT) !== MAGIC) return undefined
  const pageSize = buf.readUInt32LE(PAGE_SIZE_AT)
  if (!PAGE_SIZES.has(pageSize)) return undefined
  return { pageSize, lastPage: buf.readBigUInt64LE(LAST_PAGE_AT), txnid: buf.readBigUInt64LE(TXNID_AT) }
}
