// The bounded queue of encoded frames waiting to be written on one link.
// Its `source()` is the iterable handed to the stream's sink: each pull takes
// every frame queued since the last pull and yields them as one chunk, so
// frames queued in the same tick (or while the muxer was busy) cost one
// muxer frame, one encryption and one socket write. A full queue refuses new
// frames with BackpressureError instead of growing.

import { BackpressureError } from './errors.js'

export interface OutboxLimits {
  outboundBytesMax: number
  outboundFramesMax: number
}

export class Outbox {
  private frames: Uint8Array[] = []
  private bytes = 0
  private ended = false
  private wake: (() => void) | undefined
  private readyListener: (() => void) | undefined

  constructor(private readonly limits: OutboxLimits) {}

  get queuedBytes(): number {
    return this.bytes
  }

  get queuedFrames(): number {
    return this.frames.length
  }

  get isEnded(): boolean {
    return this.ended
  }

  /** Queues one encoded frame. Throws BackpressureError when full; the caller has not sent anything then. */
  push(frame: Uint8Array): void {
    if (this.ended) throw new Error('outbox is ended')
    if (this.frames.length >= this.limits.outboundFramesMax || this.bytes + frame.byteLength > this.limits.outboundBytesMax) {
      throw new BackpressureError(`outbound queue full (${this.frames.length} frames, ${this.bytes} bytes): the peer is not keeping up`)
    }
    this.frames.push(frame)
    this.bytes += frame.byteLength
    this.notify()
  }

  /** No more frames; the source yields what is queued, then finishes. */
  end(): void {
    this.ended = true
    this.notify()
  }

  /** Drops everything queued and ends: used when the stream is already gone. */
  discard(): void {
    this.frames = []
    this.bytes = 0
    this.end()
  }

  /** Takes every queued frame as one chunk (undefined when none is queued): for a writer that is told of new frames through `onReady`. */
  take(): Uint8Array | undefined {
    if (this.frames.length === 0) return undefined
    const batch = this.frames
    const bytes = this.bytes
    this.frames = []
    this.bytes = 0
    return batch.length === 1 ? batch[0]! : concat(batch, bytes)
  }

  /** Calls `listener` (synchronously) after every push and at the end; the other way to drain the outbox than `source()`. */
  onReady(listener: () => void): void {
    this.readyListener = listener
  }

  /**
   * The iterable for the stream's sink. Hand-written rather than an async
   * generator so that `return()` (called by the stream when it closes or
   * resets) ends it at once even while it waits for frames: a generator
   * suspended at an await would hold the stream's close open.
   */
  source(): AsyncIterableIterator<Uint8Array> {
    const done = (): IteratorResult<Uint8Array> => ({ done: true, value: undefined })
    const iterator: AsyncIterableIterator<Uint8Array> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        while (this.frames.length === 0) {
          if (this.ended) return done()
          await new Promise<void>((resolve) => { this.wake = resolve })
        }
        return { done: false, value: this.take()! }
      },
      return: async () => {
        this.discard()
        return done()
      },
    }
    return iterator
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
    this.readyListener?.()
  }
}

function concat(chunks: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes)
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.byteLength
  }
  return out
}
