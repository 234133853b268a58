// Yamux window updates ride along with the next outgoing frame instead of
// costing a socket write of their own.
//
// @chainsafe/libp2p-yamux sends a WindowUpdate frame every time a stream's
// reader takes a chunk, before the reader even sees it. On a request/reply
// link that doubles the writes: each side's reply (or next request) goes out
// as a second noise message and a second TCP segment, right behind a 12-byte
// credit, and the other side wakes up twice per message. Measured between two
// processes on one host: a libp2p echo at 1 in flight takes 0.22 ms p50 with
// the lone updates, 0.12 ms without them (raw TCP: 0.02 ms).
//
// This hold sits between the muxer and the encrypted connection (inside the
// muxer's `source.push`, so it adds no async step) and holds only pure
// credits (WindowUpdate, no flags, one header per chunk). Held credits go
// out, in their original order, in front of the next frame of any kind, so
// nothing is reordered; or at once when WINDOW_UPDATE_HOLD_BYTES of credit or
// WINDOW_UPDATE_HOLD_FRAMES_MAX credit frames are held. Nothing else sends
// them: no timer, no end-of-turn flush. A sender is never starved by it, as
// the credit it waits for is at most WINDOW_UPDATE_HOLD_BYTES, a sixteenth of
// the 256 KiB window yamux opens every stream with (and yamux's own window
// growth comes as one larger credit, which goes out at once). One-way traffic
// (gossip, a reply) thus costs the receiver no write at all: its credits wait
// for the next frame it sends for any reason. Until session 17 lone credits
// went at the end of the event-loop turn, one extra 30-byte write per message
// received; dropping that flush cut the CPU of a 3-peer cluster running single
// tasks by 10-17% (docs/performance.md). Frames are never changed or merged,
// only delayed: the wire format is plain yamux.

import type { StreamMuxer, StreamMuxerFactory, StreamMuxerInit } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'

/** Yamux frame header: version, type, flags (2 bytes), stream id (4), length (4). */
export const YAMUX_HEADER_BYTES = 12
const TYPE_WINDOW_UPDATE = 1

/** Credit held at most before it goes out alone: a sixteenth of yamux's 256 KiB initial window, so a bulk sender keeps most of its window. */
export const WINDOW_UPDATE_HOLD_BYTES = 16 * 1024

/** Credit frames held at most (one per chunk a reader took): bounds the held bytes when many small messages arrive and none leave. */
export const WINDOW_UPDATE_HOLD_FRAMES_MAX = 64

/**
 * The credit a chunk grants if it is exactly one pure WindowUpdate frame
 * (no SYN, ACK, FIN or RST), else undefined. Pure: tested byte by byte.
 */
export function pureCredit(chunk: Uint8Array | Uint8ArrayList): number | undefined {
  if (chunk.byteLength !== YAMUX_HEADER_BYTES) return undefined
  const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
  if (bytes[0] !== 0 || bytes[1] !== TYPE_WINDOW_UPDATE || bytes[2] !== 0 || bytes[3] !== 0) return undefined
  return ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0
}

export interface HoldInit {
  holdBytes?: number
  holdFramesMax?: number
}

type Chunk = Uint8Array | Uint8ArrayList

/**
 * The hold itself, synchronous: `offer` takes each outgoing muxer chunk in
 * order and hands it (or the held credits plus it, as one chunk) to
 * `forward`; held credits go alone only past a threshold or at `flush`. No
 * promise and no async iterator sits on the write path.
 */
export class CreditHold {
  private held: Chunk[] = []
  private credit = 0
  private readonly holdBytes: number
  private readonly holdFramesMax: number

  constructor(private readonly forward: (chunk: Chunk) => void, init: HoldInit = {}) {
    this.holdBytes = init.holdBytes ?? WINDOW_UPDATE_HOLD_BYTES
    this.holdFramesMax = init.holdFramesMax ?? WINDOW_UPDATE_HOLD_FRAMES_MAX
  }

  get heldFrames(): number {
    return this.held.length
  }

  offer(chunk: Chunk): void {
    const granted = pureCredit(chunk)
    if (granted !== undefined && this.credit + granted < this.holdBytes && this.held.length < this.holdFramesMax) {
      this.held.push(chunk)
      this.credit += granted
      return
    }
    if (this.held.length === 0) {
      this.forward(chunk)
      return
    }
    this.held.push(chunk)
    this.flush()
  }

  /** Forwards whatever is held, at once. */
  flush(): void {
    if (this.held.length === 0) return
    const out = this.held.length === 1 ? this.held[0]! : new Uint8ArrayList(...this.held)
    this.held = []
    this.credit = 0
    this.forward(out)
  }
}

/**
 * The muxer's outgoing chunks with pure credits held back as described above,
 * as an async iterable: the fallback for a muxer whose source cannot be held
 * at push time (see withHeldWindowUpdates).
 */
export async function * holdWindowUpdates(source: AsyncIterable<Chunk>, init: HoldInit = {}): AsyncGenerator<Chunk> {
  const out: Chunk[] = []
  let wake: (() => void) | undefined
  const hold = new CreditHold((chunk) => {
    out.push(chunk)
    wake?.()
  }, init)
  const it = source[Symbol.asyncIterator]()
  let pull: Promise<IteratorResult<Chunk>> | undefined
  let done = false
  try {
    for (;;) {
      while (out.length > 0) yield out.shift()!
      if (done) break
      pull ??= it.next()
      const ready = await Promise.race([pull, new Promise<undefined>((resolve) => { wake = () => resolve(undefined) })])
      wake = undefined
      if (ready === undefined) continue
      pull = undefined
      if (ready.done === true) {
        hold.flush()
        done = true
      } else {
        hold.offer(ready.value)
      }
    }
  } finally {
    hold.flush()
    await it.return?.()
  }
}

/**
 * Wraps a muxer factory (e.g. `yamux()`) so each of its muxers holds credits.
 * When the muxer's source is a pushable (it-pushable: yamux queues every
 * frame with `source.push`), the hold runs inside `push`, synchronously;
 * otherwise the source is wrapped in holdWindowUpdates.
 */
export function withHeldWindowUpdates<C>(factory: (components: C) => StreamMuxerFactory, init: HoldInit = {}): (components: C) => StreamMuxerFactory {
  return (components) => {
    const inner = factory(components)
    return new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'createStreamMuxer') return (muxInit?: StreamMuxerInit) => holdMuxer(target.createStreamMuxer(muxInit), init)
        return Reflect.get(target, prop, receiver) as unknown
      },
    })
  }
}

/** The part of it-pushable the push-time hold needs. */
interface PushSource {
  push: (chunk: Chunk) => unknown
  end: (err?: Error) => unknown
}

function isPushSource(source: unknown): source is PushSource {
  const s = source as Partial<PushSource> | null
  return typeof s?.push === 'function' && typeof s.end === 'function'
}

function holdMuxer(muxer: StreamMuxer, init: HoldInit): StreamMuxer {
  const source: unknown = muxer.source
  if (!isPushSource(source)) return wrapMuxer(muxer, init)
  holdAtPush(source, init)
  return muxer
}

/** Routes `push` through a CreditHold; `end` forwards what is held first. */
export function holdAtPush(source: PushSource, init: HoldInit = {}): CreditHold {
  const push = source.push.bind(source)
  const end = source.end.bind(source)
  const hold = new CreditHold((chunk) => { push(chunk) }, init)
  source.push = (chunk: Chunk) => {
    hold.offer(chunk)
    return source
  }
  source.end = (err?: Error) => {
    hold.flush()
    return end(err)
  }
  return hold
}

/** The muxer with its `source` replaced; every other member is the muxer's own, called on the muxer itself. */
function wrapMuxer(muxer: StreamMuxer, init: HoldInit): StreamMuxer {
  const source = holdWindowUpdates(muxer.source, init)
  return new Proxy(muxer, {
    get(target, prop) {
      if (prop === 'source') return source
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}
