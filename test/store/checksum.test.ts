// The stored-value encoding: a CRC-32, then msgpack. Values written by
// earlier versions (msgpackr's record extension, inline definitions) still
// decode, and a changed byte is refused.
import { crc32 } from 'node:zlib'
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { checksummedEncoder, StoreCorruptError } from '../../src/store/checksum.js'

const record = { id: 't-1', state: 'done', attempts: [{ key: 'a#0.1', n: 1, outcome: 'ok' }, { key: 'b#0.1', n: 1 }], input: { n: 1, tags: ['x'] } }

function stored(body: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + body.length)
  out.writeUInt32BE(crc32(body), 0)
  out.set(body, 4)
  return out
}

describe('the stored-value encoding', () => {
  it('round-trips values as plain msgpack maps', () => {
    const bytes = checksummedEncoder.encode(record)
    expect(bytes[4]).toBe(0xde) // a map, not a record definition
    expect(checksummedEncoder.decode(bytes)).toEqual(record)
  })

  it('decodes values written with the record extension by earlier versions', () => {
    const old = stored(new Packr({ copyBuffers: true }).pack(record))
    expect(old[4]).toBe(0xd4) // the inline record definition
    expect(checksummedEncoder.decode(old)).toEqual(record)
  })

  it('returns bytes that later encodings leave intact (lmdb-js keeps them until its write)', () => {
    const values = Array.from({ length: 3_000 }, (_, i) => ({ i, pad: 'x'.repeat(i % 700) }))
    const encoded = values.map(v => checksummedEncoder.encode(v))
    expect(encoded.map(b => checksummedEncoder.decode(b))).toEqual(values)
    expect(encoded.map(b => b.readUInt32BE(0))).toEqual(encoded.map(b => crc32(b.subarray(4))))
  })

  it('refuses a value whose bytes changed', () => {
    const bytes = checksummedEncoder.encode(record)
    bytes[bytes.length - 1]! ^= 1
    expect(() => checksummedEncoder.decode(bytes)).toThrow(StoreCorruptError)
  })
})
