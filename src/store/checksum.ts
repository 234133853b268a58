// Every value in the store carries a CRC-32 of its encoding. LMDB checks its
// page structure but not the bytes of the values in it: a flipped bit inside
// a value would otherwise decode as a different value, silently. Layout of a
// stored value: 4 bytes CRC-32 (big-endian) of the msgpack bytes, then the
// msgpack bytes: objects as plain msgpack maps (not msgpackr's record extension,
// which without shared structures repeats each object's keys in a definition
// anyway and costs a quarter more to pack and unpack; values written with it
// by earlier versions still decode).

import { crc32 } from 'node:zlib'
import { asBinary, type Binary } from 'lmdb'
import { Packr, RESERVE_START_SPACE } from 'msgpackr'
import { TroupeError } from '../errors.js'

const CRC_BYTES = 4

/** A stored value whose checksum does not match: the data on disk was damaged. */
export class StoreCorruptError extends TroupeError {
  constructor(message: string) {
    super(message, { code: 'ERR_STORE_CORRUPT', status: 500 })
    this.name = 'StoreCorruptError'
  }
}

// lmdb-js hands decode() a reusable buffer: binary values must be copied out.
const packr = new Packr({ copyBuffers: true, useRecords: false })

/** The encoder lmdb-js uses for every sub-database (`encoder` option: encode and decode). */
export const checksummedEncoder = {
  // The CRC goes into room msgpackr leaves before the body: no copy. The bytes returned are a view of msgpackr's
  // buffer that no later pack overwrites (it only appends, or moves to a new buffer), so lmdb-js may keep it until
  // its write.
  encode(value: unknown): Buffer {
    const out = packr.pack(value, RESERVE_START_SPACE | CRC_BYTES)
    out.writeUInt32BE(crc32(out.subarray(CRC_BYTES)), 0)
    return out
  },
  // lmdb-js passes a reusable buffer whose `length` it sets to the value's size (the array behind it is larger), and on cursor reads the size as a second argument.
  decode(bytes: Uint8Array, size?: unknown): unknown {
    const length = typeof size === 'number' ? size : bytes.length
    if (length < CRC_BYTES + 1) throw new StoreCorruptError(`a stored value of ${length} bytes is too short to hold its checksum`)
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, length)
    const body = view.subarray(CRC_BYTES)
    if (view.readUInt32BE(0) !== crc32(body)) throw new StoreCorruptError('a stored value does not match its checksum')
    return packr.unpack(body)
  },
}

/**
 * The stored form of a value whose msgpack bytes `write` puts into `out` (between `begin` and `end`, after the
 * checksum's room): lmdb-js stores the bytes as they are, skipping the encoder. They decode as `encode`'s do.
 */
export function checksummedBytes(out: { begin: () => void, reserve: (n: number) => number, end: () => Buffer }, write: () => void): Binary {
  out.begin()
  out.reserve(CRC_BYTES)
  write()
  const bytes = out.end()
  bytes.writeUInt32BE(crc32(bytes.subarray(CRC_BYTES)), 0)
  return asBinary(bytes)
}

/** openDB options for sub-database `name` with checksummed values (lmdb-js takes `encoder`; its typings omit it). */
export function withChecksums(name: string): { name: string } {
  return { name, encoder: checksummedEncoder } as { name: string }
}
