// msgpack encoding of frames. One Packr configured for peers we do not
// control: plain maps decode as objects (msgpackr renames a `__proto__` key to
// `__proto_`, so a frame cannot reach Object.prototype), no shared record
// structures (every peer decodes every frame on its own), no structured-clone
// references, and binary values copied out of the network chunk so a small
// Uint8Array kept by a handler does not pin a whole coalesced read.

import { Packr, RESERVE_START_SPACE } from 'msgpackr'
import { ProtocolError } from '../errors.js'

const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  structuredClone: false,
  bundleStrings: false,
  moreTypes: false,
  copyBuffers: true,
})

/** Encodes any value msgpack can carry. Throws what msgpackr throws for values it cannot encode. */
export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value)
}

/**
 * Encodes `value` after `headerBytes` bytes left for the caller to fill (at
 * most 255), so a frame's length prefix costs no second buffer and no copy.
 * The result is a view into msgpackr's output buffer, which later calls do
 * not overwrite.
 */
export function encodeValueAfterHeader(value: unknown, headerBytes: number): Uint8Array {
  return packr.pack(value, RESERVE_START_SPACE | headerBytes)
}

/** Decodes exactly one msgpack value; any failure (truncated, trailing bytes, bad extension) is a ProtocolError. */
export function decodeValue(bytes: Uint8Array): unknown {
  try {
    // A Node Buffer source would make binary values Buffers; a plain view makes them Uint8Arrays on every path.
    return packr.unpack(Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes)
  } catch (err) {
    throw new ProtocolError(`undecodable frame: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
}
