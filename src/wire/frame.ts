// The frame schema and its validation. On the wire a frame is a msgpack array
// whose first element is its kind:
//   request         [0, id, channel, body]
//   response-ok     [1, id, body]
//   response-error  [2, id, { name, message, code, retryable, status?, details? }]
//   message         [3, channel, body]
// Request ids belong to the requester: a response always answers a request the
// receiving side sent, so both directions share one stream without clashes.
// Everything from the wire is checked here; bodies stay `unknown` for the
// handler to validate.

import { ProtocolError, type ErrorShape } from '../errors.js'
import { decodeValue, encodeValueAfterHeader } from './codec.js'
import { CHANNEL_LENGTH_MAX, ERROR_CODE_LENGTH_MAX, ERROR_NAME_LENGTH_MAX, FRAME_BYTES_MAX, FRAME_HEADER_BYTES, REQUEST_ID_MAX } from './constants.js'
import { PayloadTooLargeError } from './errors.js'
import { writeFrameHeader } from './framing.js'
import { describeValue } from '../util/describe.js'

export const Kind = { request: 0, responseOk: 1, responseError: 2, message: 3 } as const

export type Frame =
  | { kind: 'request', id: number, channel: string, body: unknown }
  | { kind: 'response-ok', id: number, body: unknown }
  | { kind: 'response-error', id: number, error: ErrorShape }
  | { kind: 'message', channel: string, body: unknown }

function toWire(frame: Frame): unknown[] {
  switch (frame.kind) {
    case 'request': return [Kind.request, frame.id, frame.channel, frame.body]
    case 'response-ok': return [Kind.responseOk, frame.id, frame.body]
    case 'response-error': return [Kind.responseError, frame.id, frame.error]
    case 'message': return [Kind.message, frame.channel, frame.body]
  }
}

/**
 * Encodes a frame with its length prefix. Throws PayloadTooLargeError past
 * `frameBytesMax`, and ProtocolError for a value msgpack cannot carry.
 */
export function encodeFrame(frame: Frame, frameBytesMax = FRAME_BYTES_MAX): Uint8Array {
  let framed: Uint8Array
  try {
    framed = encodeValueAfterHeader(toWire(frame), FRAME_HEADER_BYTES)
  } catch (err) {
    throw new ProtocolError(`cannot encode ${frame.kind} body: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
  const payloadBytes = framed.byteLength - FRAME_HEADER_BYTES
  if (payloadBytes > frameBytesMax) {
    throw new PayloadTooLargeError(`${frame.kind} of ${payloadBytes} bytes exceeds frameBytesMax ${frameBytesMax}`)
  }
  return writeFrameHeader(framed)
}

/** Decodes and validates one frame payload (length prefix already removed). Throws only ProtocolError. */
export function decodeFrame(payload: Uint8Array): Frame {
  return parseFrame(decodeValue(payload))
}

/**
 * The id of a request frame whose body could not be decoded (say, a map with
 * non-string keys), read from the frame's first bytes alone: `[0, id, ...]`
 * as a msgpack array of 4 with the id as an unsigned integer. Lets the
 * receiver answer "undecodable" instead of leaving the sender to its
 * timeout. Undefined for anything else.
 */
export function peekRequestId(payload: Uint8Array): number | undefined {
  if (payload.length < 3 || payload[0] !== 0x94 || payload[1] !== Kind.request) return undefined
  const tag = payload[2] as number
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  let id: number
  if (tag >= 0x01 && tag <= 0x7f) id = tag
  else if (tag === 0xcc && payload.length >= 4) id = view.getUint8(3)
  else if (tag === 0xcd && payload.length >= 5) id = view.getUint16(3)
  else if (tag === 0xce && payload.length >= 7) id = view.getUint32(3)
  else return undefined
  return id >= 1 && id <= REQUEST_ID_MAX ? id : undefined
}

/** Validates a decoded value as a frame. Throws only ProtocolError, whatever the input. */
export function parseFrame(value: unknown): Frame {
  if (!Array.isArray(value)) throw new ProtocolError('frame is not an array')
  const kind: unknown = value[0]
  switch (kind) {
    case Kind.request:
      arity(value, 4, 'request')
      return { kind: 'request', id: requestId(value[1]), channel: channelName(value[2]), body: value[3] }
    case Kind.responseOk:
      arity(value, 3, 'response-ok')
      return { kind: 'response-ok', id: requestId(value[1]), body: value[2] }
    case Kind.responseError:
      arity(value, 3, 'response-error')
      return { kind: 'response-error', id: requestId(value[1]), error: errorShape(value[2]) }
    case Kind.message:
      arity(value, 3, 'message')
      return { kind: 'message', channel: channelName(value[1]), body: value[2] }
    default:
      throw new ProtocolError(`unknown frame kind ${describeValue(kind)}`)
  }
}

function arity(value: unknown[], length: number, kind: string): void {
  if (value.length !== length) throw new ProtocolError(`${kind} frame has ${value.length} fields, expected ${length}`)
}

function requestId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > REQUEST_ID_MAX) {
    throw new ProtocolError(`invalid request id ${describeValue(value)}`)
  }
  return value
}

/** Checks a channel name from the wire or from a local caller. */
export function channelName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > CHANNEL_LENGTH_MAX) {
    throw new ProtocolError(`invalid channel ${describeValue(value)}: expected a string of 1..${CHANNEL_LENGTH_MAX} characters`)
  }
  return value
}

function errorShape(value: unknown): ErrorShape {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ProtocolError('error reply is not a map')
  const v = value as Record<string, unknown>
  if (typeof v.name !== 'string' || v.name.length === 0 || v.name.length > ERROR_NAME_LENGTH_MAX) throw new ProtocolError(`invalid error name ${describeValue(v.name)}`)
  if (typeof v.code !== 'string' || v.code.length > ERROR_CODE_LENGTH_MAX) throw new ProtocolError(`invalid error code ${describeValue(v.code)}`)
  if (typeof v.message !== 'string') throw new ProtocolError(`invalid error message ${describeValue(v.message)}`)
  if (typeof v.retryable !== 'boolean') throw new ProtocolError(`invalid error retryable flag ${describeValue(v.retryable)}`)
  if (v.status !== undefined && (typeof v.status !== 'number' || !Number.isInteger(v.status) || v.status < 100 || v.status > 599)) {
    throw new ProtocolError(`invalid error status ${describeValue(v.status)}`)
  }
  // Rebuilt field by field so nothing but the documented fields survives.
  const shape: ErrorShape = { name: v.name, message: v.message, code: v.code, retryable: v.retryable }
  if (v.status !== undefined) shape.status = v.status
  if (v.details !== undefined) shape.details = v.details
  return shape
}
