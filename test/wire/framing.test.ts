import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ProtocolError } from '../../src/errors.js'
import { FrameDecoder, frameBytes } from '../../src/wire/framing.js'

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.byteLength
  }
  return out
}

/** Splits `bytes` at the given cut points (any values; reduced modulo the length). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => c % (bytes.byteLength + 1)))].sort((x, y) => x - y)
  const out: Uint8Array[] = []
  let last = 0
  for (const p of [...points, bytes.byteLength]) {
    out.push(bytes.subarray(last, p))
    last = p
  }
  return out
}

const payloads = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 0, maxLength: 20 })

describe('FrameDecoder', () => {
  it('reproduces frames fed one byte at a time', () => {
    fc.assert(fc.property(payloads, (frames) => {
      const stream = concat(frames.map(frameBytes))
      const decoder = new FrameDecoder()
      const out: Uint8Array[] = []
      for (let i = 0; i < stream.byteLength; i++) out.push(...decoder.push(stream.subarray(i, i + 1)))
      decoder.end()
      expect(out.map(f => Array.from(f))).toEqual(frames.map(f => Array.from(f)))
      expect(decoder.bufferedBytes).toBe(0)
    }), { numRuns: 200 })
  })

  it('reproduces frames under any chunking', () => {
    fc.assert(fc.property(payloads, fc.array(fc.nat(), { maxLength: 40 }), (frames, cuts) => {
      const stream = concat(frames.map(frameBytes))
      const decoder = new FrameDecoder()
      const out = chunk(stream, cuts).flatMap(c => decoder.push(c))
      decoder.end()
      expect(out.map(f => Array.from(f))).toEqual(frames.map(f => Array.from(f)))
    }), { numRuns: 500 })
  })

  it('accepts a frame of exactly frameBytesMax and rejects one byte more as soon as the header is in', () => {
    const decoder = new FrameDecoder(16)
    expect(decoder.push(frameBytes(new Uint8Array(16)))).toHaveLength(1)
    const header = frameBytes(new Uint8Array(17)).subarray(0, 4)
    expect(() => decoder.push(header)).toThrow(ProtocolError)
  })

  it('rejects a zero length', () => {
    expect(() => new FrameDecoder().push(new Uint8Array([0, 0, 0, 0]))).toThrow(/empty frame/)
  })

  it('stays failed after an error', () => {
    const decoder = new FrameDecoder(8)
    expect(() => decoder.push(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(ProtocolError)
    expect(() => decoder.push(frameBytes(new Uint8Array(1)))).toThrow(ProtocolError)
  })

  it('reports a stream truncated inside a frame', () => {
    const decoder = new FrameDecoder()
    const bytes = frameBytes(new Uint8Array(10))
    expect(decoder.push(bytes.subarray(0, 7))).toEqual([])
    expect(() => decoder.end()).toThrow(/stream ended inside a frame/)
  })

  it('never throws anything but ProtocolError on garbage', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (chunks) => {
      const decoder = new FrameDecoder(1024)
      try {
        for (const c of chunks) decoder.push(c)
        decoder.end()
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError)
      }
    }), { numRuns: 2000 })
  })
})
