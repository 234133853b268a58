// @chainsafe/libp2p-noise with a lean transport phase: the handshake, the
// extensions, early muxer negotiation and the ciphers stay noise's own; only
// the plumbing that moves encrypted chunks between the muxer and the
// connection is replaced (see noise-transport.ts). Same bytes on the wire: a
// peer with it talks to any stock noise peer.
//
// Write side, per chunk, stock: it-pair, noise's encrypt generator, it-pipe,
// the it-byte-stream adapter noise's handshake put on the connection's sink
// (a queueless pushable: two deferreds and a raced signal), then the adapter
// multistream-select put there. Here: one SealingSource step, then
// multistream-select's adapter. To get there the connection's sink is wrapped
// before noise sees it (a SinkFeed): the feed is the one source that sink is
// ever given; during the handshake it relays what noise writes, afterwards it
// reads straight from the muxer through a SealingSource.
// Read side, stock: it-length-prefixed's decode generator, noise's decrypt
// generator and it-pair; here one OpeningSource step.
//
// Shapes relied on, checked before use (anything else falls back to stock
// noise, per encrypter or per connection): the encrypter has `secureInbound`,
// `secureOutbound` and a two-argument `createSecureConnection(wrapped,
// handshake)` that noise calls after the handshake with its lp-stream wrapper
// (`unwrap()` gives the connection back) and `{ encrypt, decrypt }`.
// test/net/lean-noise.test.ts fails if a noise upgrade changes them.

import { noise, type NoiseInit } from '@chainsafe/libp2p-noise'
import type { ConnectionEncrypter, SecureConnectionOptions, SecuredConnection } from '@libp2p/interface'
import type { Duplex, Source } from 'it-stream-types'
import { noiseCrypto } from './noise-crypto.js'
import { OpeningSource, SealingSource, type Bytes, type NoiseCipher } from './noise-transport.js'

type ByteDuplex = Duplex<AsyncGenerator<Bytes> | AsyncIterable<Bytes>, Source<Bytes>, Promise<void>>
type SecureFn = (connection: ByteDuplex, options?: SecureConnectionOptions) => Promise<SecuredConnection<ByteDuplex>>

/** The private part of noise's Noise class this module replaces. */
interface NoiseInternals {
  secureInbound: SecureFn
  secureOutbound: SecureFn
  createSecureConnection: (wrapped: unknown, handshake: unknown) => Promise<ByteDuplex>
}

/** Counts of connections by transport path, for tests and diagnostics. */
export interface LeanNoiseStats {
  /** Connections whose transport phase runs on the lean path. */
  lean: number
  /** Connections that took noise's stock transport phase because a shape did not match. */
  stock: number
}

export interface LeanNoiseInit extends NoiseInit {
  /** Counts connections per path (incremented in place). Default: leanNoiseStats. */
  stats?: LeanNoiseStats
}

/** Connections per transport path of every leanNoise encrypter not given its own `stats`, in this process. */
export const leanNoiseStats: LeanNoiseStats = { lean: 0, stock: 0 }

/** True when `encrypter` has the shape leanNoise patches (noise's Noise class as of 16.x). */
export function hasLeanNoiseShape(encrypter: unknown): encrypter is NoiseInternals {
  const e = encrypter as Partial<NoiseInternals> | undefined
  return e?.constructor?.name === 'Noise' &&
    typeof e.secureInbound === 'function' && typeof e.secureOutbound === 'function' &&
    typeof e.createSecureConnection === 'function' && e.createSecureConnection.length === 2
}

/**
 * noise(), with the lean transport phase when the encrypter has the expected
 * shape; otherwise noise() unchanged.
 */
export function leanNoise(init: LeanNoiseInit = {}): (components: Parameters<ReturnType<typeof noise>>[0]) => ConnectionEncrypter {
  const { stats = leanNoiseStats, ...noiseInit } = init
  return (components) => {
    const encrypter = noise({ crypto: noiseCrypto, ...noiseInit })(components)
    if (hasLeanNoiseShape(encrypter)) patch(encrypter, stats)
    return encrypter
  }
}

function patch(encrypter: NoiseInternals, stats: LeanNoiseStats): void {
  const secureInbound = encrypter.secureInbound.bind(encrypter)
  const secureOutbound = encrypter.secureOutbound.bind(encrypter)
  const createSecureConnection = encrypter.createSecureConnection.bind(encrypter)
  const feeds = new WeakMap<object, SinkFeed>()

  const secure = (inner: SecureFn): SecureFn => async (connection, options) => {
    if (typeof connection.sink !== 'function') return inner(connection, options)
    const sink = connection.sink
    const feed = new SinkFeed(async (feedSource) => { await sink.call(connection, feedSource) })
    feeds.set(connection, feed)
    connection.sink = feed.handshakeSink
    return inner(connection, options)
  }
  encrypter.secureInbound = secure(secureInbound)
  encrypter.secureOutbound = secure(secureOutbound)

  encrypter.createSecureConnection = async (wrapped, handshake) => {
    const network = unwrap(wrapped)
    const feed = network === undefined ? undefined : feeds.get(network)
    if (network === undefined || feed === undefined || !isCipher(handshake) || !isAsyncIterable(network.source)) {
      stats.stock++
      return createSecureConnection(wrapped, handshake)
    }
    feeds.delete(network)
    stats.lean++
    const source = new OpeningSource(network.source[Symbol.asyncIterator](), handshake.decrypt)
    return {
      source,
      sink: async (muxerSource) => {
        feed.attach(new SealingSource(toAsyncIterator(muxerSource), handshake.encrypt))
        await feed.done
      },
    }
  }
}

function unwrap(wrapped: unknown): ByteDuplex | undefined {
  const w = wrapped as { unwrap?: unknown } | undefined
  if (typeof w?.unwrap !== 'function') return undefined
  const network = (w.unwrap as () => unknown).call(w) as Partial<ByteDuplex> | undefined
  return typeof network === 'object' && network !== null && typeof network.sink === 'function' && network.source !== undefined ? network as ByteDuplex : undefined
}

function isCipher(handshake: unknown): handshake is NoiseCipher {
  const h = handshake as Partial<NoiseCipher> | undefined
  return typeof h?.encrypt === 'function' && typeof h.decrypt === 'function'
}

function isAsyncIterable(source: unknown): source is AsyncIterable<Bytes> {
  return typeof (source as Partial<AsyncIterable<Bytes>> | undefined)?.[Symbol.asyncIterator] === 'function'
}

function toAsyncIterator(source: Source<Bytes>): AsyncIterator<Bytes> {
  const s = source as Partial<AsyncIterable<Bytes>> & Partial<Iterable<Bytes>>
  if (typeof s[Symbol.asyncIterator] === 'function') return s[Symbol.asyncIterator]!()
  const it = (s as Iterable<Bytes>)[Symbol.iterator]()
  return { next: async () => it.next(), return: async () => it.return?.() ?? { done: true, value: undefined } }
}

/**
 * The single source the connection's own sink is ever given. It relays what
 * noise writes during the handshake (noise calls `handshakeSink` once, with
 * its byte-stream's pushable), and, once `attach`ed, reads from the sealed
 * muxer output instead: the handshake source is then no longer asked for
 * anything. noise writes nothing through the handshake path after the
 * handshake; should it, that is a failure of the feed, not lost bytes.
 */
export class SinkFeed implements AsyncIterableIterator<Bytes> {
  /** Resolves (or rejects) with the connection's own sink. */
  readonly done: Promise<void>
  private handshake: AsyncIterator<Bytes> | undefined
  private transport: AsyncIterator<Bytes> | undefined
  private waiting: { resolve: (r: IteratorResult<Bytes>) => void, reject: (err: unknown) => void } | undefined
  private pulling = false
  private failure: unknown

  constructor(sink: (source: AsyncIterable<Bytes>) => Promise<void>) {
    this.done = sink(this)
    // Observed by the transport sink once attached; until then a failing connection sink fails the handshake's writes instead.
    this.done.catch((err: unknown) => { this.fail(err) })
  }

  /** What noise's handshake writes into (it replaces the connection's sink with this before it starts). */
  readonly handshakeSink = async (source: Source<Bytes>): Promise<void> => {
    this.handshake = toAsyncIterator(source)
    this.pullHandshake()
    await this.done
  }

  /** From now on the connection's sink reads from `transport`. */
  attach(transport: AsyncIterator<Bytes>): void {
    this.transport = transport
    const waiting = this.waiting
    this.waiting = undefined
    if (waiting !== undefined) transport.next().then(waiting.resolve, waiting.reject)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<Bytes>> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    if (this.transport !== undefined) return this.transport.next()
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject }
      this.pullHandshake()
    })
  }

  async return(): Promise<IteratorResult<Bytes>> {
    const upstream = this.transport ?? this.handshake
    await upstream?.return?.()
    return { done: true, value: undefined }
  }

  private pullHandshake(): void {
    if (this.waiting === undefined || this.handshake === undefined || this.pulling) return
    this.pulling = true
    this.handshake.next().then((result) => {
      this.pulling = false
      if (this.transport !== undefined) {
        if (result.done !== true) this.fail(new Error('noise wrote through its handshake path after the transport phase started'))
        return
      }
      const waiting = this.waiting
      this.waiting = undefined
      waiting?.resolve(result)
    }, (err: unknown) => {
      this.pulling = false
      this.fail(err)
    })
  }

  private fail(err: unknown): void {
    this.failure ??= err
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.reject(this.failure)
  }
}
