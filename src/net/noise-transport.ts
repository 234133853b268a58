// Noise's transport phase with one async step per chunk each way.
//
// After the XX handshake, @chainsafe/libp2p-noise moves every chunk through
// it-pair, an encrypt (or lp-decode and decrypt) async generator and it-pipe,
// then through a second it-byte-stream adapter it put on the connection's sink
// for the handshake. The pieces here do the same work, with the same bytes on
// the wire, as plain iterators:
//
// - writing: each chunk the muxer hands over is cut into pieces of at most
//   NOISE_PLAINTEXT_BYTES_MAX, each piece sealed with noise's own `encrypt`
//   (its CipherState keeps the key and the nonce, exactly as in the stock
//   path) and prefixed with its length as a big-endian uint16; the pieces of
//   one chunk leave as one buffer (TCP carries bytes, not messages);
// - reading: NoiseMessageReader cuts the byte stream back into messages and
//   each is opened with noise's own `decrypt` (tag check and nonce there). A
//   message that fails its tag, one shorter than the tag, or a stream that
//   ends inside a message fails the source: the muxer sees the error and the
//   connection is aborted, as with the stock generators. A zero-length message
//   is skipped, as noise's decryptStream does.
//
// Nothing here knows libp2p; lean-noise.ts wires it into noise.

import { Uint8ArrayList } from 'uint8arraylist'
import { ProtocolError } from '../errors.js'

/** Largest noise message (ciphertext and tag), fixed by its uint16 length prefix. */
export const NOISE_MESSAGE_BYTES_MAX = 65535
/** ChaCha20-Poly1305 tag bytes at the end of every noise message. */
export const NOISE_TAG_BYTES = 16
/** Largest plaintext one noise message carries. */
export const NOISE_PLAINTEXT_BYTES_MAX = NOISE_MESSAGE_BYTES_MAX - NOISE_TAG_BYTES
const LENGTH_BYTES = 2

export type Bytes = Uint8Array | Uint8ArrayList

/** The transport half of noise's handshake result: seals or opens one message, advancing its own nonce. */
export interface NoiseCipher {
  encrypt(plaintext: Bytes): Bytes
  decrypt(ciphertext: Bytes, dst?: Uint8Array): Bytes
}

/**
 * One chunk sealed as noise messages, length-prefixed and joined in one
 * buffer; undefined for an empty chunk (nothing is sent, as in noise).
 */
export function sealChunk(chunk: Bytes, encrypt: NoiseCipher['encrypt']): Uint8Array | undefined {
  const total = chunk.byteLength
  if (total === 0) return undefined
  if (total <= NOISE_PLAINTEXT_BYTES_MAX) return frame([encrypt(chunk)], total + NOISE_TAG_BYTES)
  const sealed: Bytes[] = []
  let bytes = 0
  for (let i = 0; i < total; i += NOISE_PLAINTEXT_BYTES_MAX) {
    const end = Math.min(i + NOISE_PLAINTEXT_BYTES_MAX, total)
    const message = encrypt(chunk instanceof Uint8Array ? chunk.subarray(i, end) : chunk.sublist(i, end))
    sealed.push(message)
    bytes += end - i + NOISE_TAG_BYTES
  }
  return frame(sealed, bytes)
}

function frame(messages: Bytes[], cipherBytes: number): Uint8Array {
  const out = Buffer.allocUnsafe(cipherBytes + LENGTH_BYTES * messages.length)
  let at = 0
  for (const message of messages) {
    const length = message.byteLength
    if (length > NOISE_MESSAGE_BYTES_MAX) throw new ProtocolError(`noise message of ${length} bytes exceeds ${NOISE_MESSAGE_BYTES_MAX}`)
    out[at] = length >> 8
    out[at + 1] = length & 0xff
    at += LENGTH_BYTES
    if (message instanceof Uint8Array) {
      out.set(message, at)
    } else {
      let off = at
      for (const buf of message) {
        out.set(buf, off)
        off += buf.byteLength
      }
    }
    at += length
  }
  if (at !== out.byteLength) throw new ProtocolError(`noise sealed ${at} bytes, expected ${out.byteLength}`)
  return out
}

/**
 * Cuts a byte stream into noise messages (ciphertext and tag, without the
 * length prefix). Pure: `push` what arrives, `take` until it returns
 * undefined. A message inside one pushed chunk is returned as a view into it
 * (so it can be opened in place); one spread over several chunks is joined
 * once, when its last byte has arrived.
 */
export class NoiseMessageReader {
  private buf: Uint8Array = new Uint8Array(0)
  private pos = 0
  private parts: Uint8Array[] = []
  private partsBytes = 0

  /** Bytes received and not yet returned by take. */
  get bufferedBytes(): number {
    return this.buf.byteLength - this.pos + this.partsBytes
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    if (this.pos >= this.buf.byteLength && this.parts.length === 0) {
      this.buf = chunk
      this.pos = 0
      return
    }
    this.parts.push(chunk)
    this.partsBytes += chunk.byteLength
  }

  take(): Uint8Array | undefined {
    if (this.parts.length > 0) {
      const total = this.bufferedBytes
      if (total < LENGTH_BYTES) return undefined
      if (total < LENGTH_BYTES + ((this.byteAt(0) << 8) | this.byteAt(1))) return undefined
      const joined = Buffer.allocUnsafe(total)
      joined.set(this.buf.subarray(this.pos), 0)
      let at = this.buf.byteLength - this.pos
      for (const part of this.parts) {
        joined.set(part, at)
        at += part.byteLength
      }
      this.buf = joined
      this.pos = 0
      this.parts = []
      this.partsBytes = 0
    }
    const buf = this.buf
    const pos = this.pos
    if (buf.byteLength - pos < LENGTH_BYTES) return undefined
    const length = (buf[pos]! << 8) | buf[pos + 1]!
    const end = pos + LENGTH_BYTES + length
    if (end > buf.byteLength) return undefined
    this.pos = end
    return buf.subarray(pos + LENGTH_BYTES, end)
  }

  /** The i-th buffered byte, across the current buffer and the parts after it. */
  private byteAt(i: number): number {
    const inBuf = this.buf.byteLength - this.pos
    if (i < inBuf) return this.buf[this.pos + i]!
    let rest = i - inBuf
    for (const part of this.parts) {
      if (rest < part.byteLength) return part[rest]!
      rest -= part.byteLength
    }
    throw new RangeError('byteAt past the buffered bytes')
  }
}

/**
 * The muxer's outgoing chunks, sealed: each `next` takes one chunk from the
 * muxer and returns it encrypted and framed.
 */
export class SealingSource implements AsyncIterableIterator<Uint8Array> {
  constructor(private readonly source: AsyncIterator<Bytes>, private readonly encrypt: NoiseCipher['encrypt']) {}

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const result = await this.source.next()
      if (result.done === true) return { done: true, value: undefined }
      const sealed = sealChunk(result.value, this.encrypt)
      if (sealed !== undefined) return { done: false, value: sealed }
    }
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    await this.source.return?.()
    return { done: true, value: undefined }
  }
}

/**
 * The connection's incoming bytes, opened: each `next` returns every whole
 * message that has arrived, decrypted (one view, or a list when several
 * messages came together), reading from the network only when none is whole.
 * The first failure ends it for good and releases the network source (as
 * noise's generators do when decrypting fails).
 */
export class OpeningSource implements AsyncIterableIterator<Bytes> {
  private readonly reader = new NoiseMessageReader()
  private failure: unknown
  private ended = false

  constructor(private readonly network: AsyncIterator<Bytes>, private readonly decrypt: NoiseCipher['decrypt']) {}

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<Bytes>> {
    if (this.failure !== undefined) throw this.failure
    if (this.ended) return { done: true, value: undefined }
    try {
      for (;;) {
        const opened = this.openAvailable()
        if (opened !== undefined) return { done: false, value: opened }
        const result = await this.network.next()
        if (result.done === true) {
          if (this.reader.bufferedBytes > 0) throw new ProtocolError(`connection ended inside a noise message (${this.reader.bufferedBytes} bytes left)`)
          this.ended = true
          return { done: true, value: undefined }
        }
        const chunk = result.value
        if (chunk instanceof Uint8Array) {
          this.reader.push(chunk)
        } else {
          for (const buf of chunk) this.reader.push(buf)
        }
      }
    } catch (err) {
      this.failure = err
      await this.releaseNetwork()
      throw err
    }
  }

  /** Ends this source only: the connection is closed by its owner (as with noise's it-pair), not torn down by a reader leaving. */
  async return(): Promise<IteratorResult<Bytes>> {
    this.ended = true
    return { done: true, value: undefined }
  }

  private openAvailable(): Bytes | undefined {
    let first: Bytes | undefined
    let list: Uint8ArrayList | undefined
    for (;;) {
      const message = this.reader.take()
      if (message === undefined) break
      if (message.byteLength === 0) continue
      if (message.byteLength < NOISE_TAG_BYTES) throw new ProtocolError(`noise message of ${message.byteLength} bytes is shorter than its tag`)
      const plaintext = this.decrypt(message, message.subarray(0, message.byteLength - NOISE_TAG_BYTES))
      if (first === undefined) {
        first = plaintext
      } else {
        list ??= new Uint8ArrayList(first)
        list.append(plaintext)
      }
    }
    return list ?? first
  }

  private async releaseNetwork(): Promise<void> {
    try {
      await this.network.return?.()
    } catch {
      // The source failing as it is released says nothing new: the failure (or the end) that got us here is what the muxer sees.
    }
  }
}
