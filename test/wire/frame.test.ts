import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProtocolError, toErrorShape, TimeoutError } from '../../src/errors.js'
import { encodeValue } from '../../src/wire/codec.js'
import { PayloadTooLargeError } from '../../src/wire/errors.js'
import { decodeFrame, encodeFrame, parseFrame, peekRequestId, type Frame } from '../../src/wire/frame.js'
import { FRAME_HEADER_BYTES } from '../../src/wire/constants.js'

const roundTrip = (frame: Frame): Frame => decodeFrame(encodeFrame(frame).subarray(FRAME_HEADER_BYTES))

/** Throws if `fn` throws anything but a ProtocolError; returns whether it threw. */
function onlyProtocolErrors(fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err
    return true
  }
}

describe('frames', () => {
  it('carry their payload length in the prefix, and stay intact after later encodes (and a failed one)', () => {
    const first = encodeFrame({ kind: 'request', id: 1, channel: 'a', body: { s: 'x'.repeat(100) } })
    const copy = Uint8Array.from(first)
    expect(() => encodeFrame({ kind: 'message', channel: 'b', body: { s: 'y'.repeat(50), n: 2n ** 70n } })).toThrow(ProtocolError)
    for (let i = 0; i < 2000; i++) encodeFrame({ kind: 'message', channel: 'b', body: new Uint8Array(64).fill(i & 0xff) })
    expect(Uint8Array.from(first)).toEqual(copy)
    expect(new DataView(first.buffer, first.byteOffset, first.byteLength).getUint32(0)).toBe(first.byteLength - FRAME_HEADER_BYTES)
    expect(decodeFrame(first.subarray(FRAME_HEADER_BYTES))).toEqual({ kind: 'request', id: 1, channel: 'a', body: { s: 'x'.repeat(100) } })
  })

  it('name the request id of a request frame from its first bytes, for every id size; nothing for other frames', () => {
    for (const id of [1, 127, 128, 255, 256, 65_535, 65_536, 0xffff_ffff]) {
      const frame = encodeFrame({ kind: 'request', id, channel: 'c', body: null }).subarray(FRAME_HEADER_BYTES)
      expect(peekRequestId(frame)).toBe(id)
    }
    for (const frame of [{ kind: 'response-ok', id: 5, body: 1 }, { kind: 'message', channel: 'c', body: 1 }] as Frame[]) {
      expect(peekRequestId(encodeFrame(frame).subarray(FRAME_HEADER_BYTES))).toBeUndefined()
    }
    expect(peekRequestId(encodeValue([0, 0, 'c', null]))).toBeUndefined()
    expect(peekRequestId(encodeValue([0, -3, 'c', null]))).toBeUndefined()
    expect(peekRequestId(new Uint8Array([0x94, 0, 0xce]))).toBeUndefined()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 16 }), bytes => {
      const id = peekRequestId(bytes)
      return id === undefined || (Number.isInteger(id) && id >= 1 && id <= 0xffff_ffff)
    }))
  })

  it('round-trip every kind', () => {
    const body = { n: 1, s: 'x', list: [1, 2, 3], bin: new Uint8Array([1, 2]), nested: { ok: true, nil: null } }
    const error = toErrorShape(new TimeoutError('slow'))
    for (const frame of [
      { kind: 'request', id: 1, channel: 'lease/renew', body },
      { kind: 'response-ok', id: 0xffff_ffff, body },
      { kind: 'response-error', id: 7, error },
      { kind: 'message', channel: 'gossip', body: 'hello' },
    ] satisfies Frame[]) {
      expect(roundTrip(frame)).toEqual(frame)
    }
  })

  it('refuse to encode past frameBytesMax with PayloadTooLargeError', () => {
    expect(() => encodeFrame({ kind: 'message', channel: 'c', body: new Uint8Array(100) }, 64)).toThrow(PayloadTooLargeError)
  })

  it('cannot pollute Object.prototype through a __proto__ key', () => {
    const body = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"polluted": true}}}') as unknown
    const frame = roundTrip({ kind: 'message', channel: 'c', body })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf((frame as { body: object }).body)).toBe(Object.prototype)
  })

  it('reject each malformed field with a reason', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /not an array/],
      [[9, 1, 'c', null], /unknown frame kind/],
      [[0, 1, 'c'], /3 fields, expected 4/],
      [[0, 0, 'c', null], /invalid request id/],
      [[0, 1.5, 'c', null], /invalid request id/],
      [[0, 2 ** 32, 'c', null], /invalid request id/],
      [[0, 1, '', null], /invalid channel/],
      [[0, 1, 'x'.repeat(129), null], /invalid channel/],
      [[3, 42, null], /invalid channel/],
      [[2, 1, 'boom'], /not a map/],
      [[2, 1, { name: 'E', message: 'm', code: 'C' }], /retryable/],
      [[2, 1, { name: 'E', message: 'm', code: 'C', retryable: false, status: 42 }], /status/],
      [[2, 1, { name: 'E'.repeat(200), message: 'm', code: 'C', retryable: false }], /error name/],
    ]
    for (const [value, reason] of cases) expect(() => parseFrame(value), JSON.stringify(value)).toThrow(reason)
  })

  it('keep only the documented error fields', () => {
    const frame = parseFrame([2, 1, { name: 'E', message: 'm', code: 'C', retryable: true, stack: 'remote stack', extra: 1 }])
    expect(frame).toEqual({ kind: 'response-error', id: 1, error: { name: 'E', message: 'm', code: 'C', retryable: true } })
  })

  it('validator throws only ProtocolError for any value (fuzz)', () => {
    fc.assert(fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }), (value) => {
      onlyProtocolErrors(() => parseFrame(value))
    }), { numRuns: 5000 })
  })

  it('validator throws only ProtocolError for near-valid frames (fuzz)', () => {
    const field = fc.oneof(fc.integer({ min: -2, max: 5 }), fc.double(), fc.string({ maxLength: 140 }), fc.constant(null), fc.anything(), fc.dictionary(fc.constantFrom('name', 'message', 'code', 'retryable', 'status', 'details'), fc.anything()))
    fc.assert(fc.property(fc.array(field, { minLength: 0, maxLength: 5 }), (value) => {
      onlyProtocolErrors(() => parseFrame(value))
    }), { numRuns: 5000 })
  })

  it('decoder throws only ProtocolError for random bytes and mangled frames (fuzz)', () => {
    const valid = encodeValue([0, 5, 'chan', { a: [1, 2, 'x'], b: new Uint8Array(3) }])
    const mangled = fc.tuple(fc.nat(valid.byteLength - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.byteLength)).map(([at, byte, cut]) => {
      const copy = Uint8Array.from(valid)
      copy[at] = byte
      return copy.subarray(0, Math.max(1, cut))
    })
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 200 }), mangled), (bytes) => {
      onlyProtocolErrors(() => decodeFrame(bytes))
    }), { numRuns: 5000 })
  })
})
