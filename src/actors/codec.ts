// Messages, results and states are copied through msgpack on every path,
// local or remote: a handler never shares an object with its sender, and what
// works in-process works across the wire (plain data only: no class
// instances, functions or Maps).
import { decodeValue, encodeValue } from '../wire/codec.js'
import { ActorPayloadTooLargeError } from './errors.js'

export function encodeBounded(value: unknown, max: number, what: string): Uint8Array {
  let bytes: Uint8Array
  try {
    bytes = encodeValue(value)
  } catch (err) {
    throw new TypeError(`${what} cannot be encoded as msgpack: ${(err as Error).message}`)
  }
  if (bytes.byteLength > max) throw new ActorPayloadTooLargeError(`${what} of ${bytes.byteLength} bytes exceeds the limit of ${max}`)
  return bytes
}

export function decode(bytes: Uint8Array): unknown {
  return decodeValue(bytes)
}

/** A copy of a plain value, as the receiving side would see it. */
export function copy<T>(value: T): T {
  // Values msgpack gives back unchanged need no round trip (-0 comes back as 0, a lone surrogate as U+FFFD).
  if (value === undefined || value === null || typeof value === 'boolean') return value
  if (typeof value === 'number' && !Object.is(value, -0)) return value
  if (typeof value === 'string' && (value as unknown as { isWellFormed: () => boolean }).isWellFormed()) return value
  return decodeValue(encodeValue(value)) as T
}

export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.compare(a, b) === 0
}
