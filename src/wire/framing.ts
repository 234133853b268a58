// Length-prefixed framing: each frame is a 4-byte big-endian length followed
// by that many bytes. The decoder is pure (no I/O, no timers): feed it chunks
// as they arrive, get back every frame completed so far. A bad length is
// reported as soon as its 4 bytes are in, before the body is buffered.

import { Uint8ArrayList } from 'uint8arraylist'
import { ProtocolError } from '../errors.js'
import { FRAME_BYTES_MAX, FRAME_HEADER_BYTES } from './constants.js'

/** Prepends the length prefix. The caller has already checked the size limit. */
export function frameBytes(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength)
  new DataView(out.buffer).setUint32(0, payload.byteLength)
  out.set(payload, FRAME_HEADER_BYTES)
  return out
}

/** Fills the length prefix of a frame whose payload was encoded after FRAME_HEADER_BYTES reserved bytes; returns the frame. */
export function writeFrameHeader(framed: Uint8Array): Uint8Array {
  // Four byte stores: cheaper per frame than a DataView over the shared output buffer.
  const length = framed.byteLength - FRAME_HEADER_BYTES
  framed[0] = length >>> 24
  framed[1] = (length >>> 16) & 0xff
  framed[2] = (length >>> 8) & 0xff
  framed[3] = length & 0xff
  return framed
}

export class FrameDecoder {
  private readonly buffer = new Uint8ArrayList()
  private failure: ProtocolError | undefined

  constructor(private readonly frameBytesMax = FRAME_BYTES_MAX) {}

  /** Bytes received but not yet part of a whole frame. */
  get bufferedBytes(): number {
    return this.buffer.byteLength
  }

  /**
   * Appends a chunk and returns the frames it completed, in order. Throws a
   * ProtocolError on an invalid length; the stream is unrecoverable from then
   * on, so every later call throws the same error.
   */
  push(chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    if (this.failure !== undefined) throw this.failure
    this.buffer.append(chunk)
    const frames: Uint8Array[] = []
    while (this.buffer.byteLength >= FRAME_HEADER_BYTES) {
      const length = this.buffer.getUint32(0)
      if (length === 0 || length > this.frameBytesMax) {
        this.failure = new ProtocolError(length === 0 ? 'empty frame' : `frame of ${length} bytes exceeds frameBytesMax ${this.frameBytesMax}`)
        this.buffer.consume(this.buffer.byteLength)
        throw this.failure
      }
      if (this.buffer.byteLength < FRAME_HEADER_BYTES + length) break
      frames.push(this.buffer.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length))
      this.buffer.consume(FRAME_HEADER_BYTES + length)
    }
    return frames
  }

  /** Call when the stream ends: leftover bytes mean the peer stopped mid-frame. */
  end(): void {
    if (this.failure === undefined && this.buffer.byteLength > 0) {
      throw new ProtocolError(`stream ended inside a frame (${this.buffer.byteLength} bytes left over)`)
    }
  }
}
