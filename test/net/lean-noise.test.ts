// The lean noise transport phase: its framing and failure rules on their own,
// and over real TCP between real libp2p nodes, lean with lean and lean with
// stock noise in both directions (same bytes on the wire, or the stock side
// could not read them), a corrupted message closing the connection, and the
// shapes it relies on (these tests fail if a noise upgrade changes them,
// rather than letting every connection silently fall back to stock).

import type { Server } from 'node:net'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import { hasLeanNoiseShape, leanNoise, SinkFeed, type LeanNoiseStats } from '../../src/net/lean-noise.js'
import { NOISE_MESSAGE_BYTES_MAX, NOISE_PLAINTEXT_BYTES_MAX, NOISE_TAG_BYTES, NoiseMessageReader, OpeningSource, sealChunk, SealingSource, type Bytes } from '../../src/net/noise-transport.js'
import { tcpProxy } from '../helpers/tcp-proxy.js'
import { until } from '../wire/helpers.js'

const flat = (b: Bytes): Uint8Array => b instanceof Uint8Array ? b : b.subarray()

/** A stand-in cipher: "ciphertext" is the plaintext XOR a counter byte, then a 16-byte tag holding the counter; decrypt checks it. */
function fakeCipher(): { encrypt: (p: Bytes) => Uint8Array, decrypt: (c: Bytes, dst?: Uint8Array) => Uint8Array } {
  let sent = 0
  let received = 0
  return {
    encrypt: (p) => {
      const plain = flat(p)
      const out = new Uint8Array(plain.byteLength + NOISE_TAG_BYTES)
      const n = sent++ & 0xff
      for (let i = 0; i < plain.byteLength; i++) out[i] = plain[i]! ^ n
      out.fill(n, plain.byteLength)
      return out
    },
    decrypt: (c) => {
      const ct = flat(c)
      const n = received & 0xff
      for (let i = ct.byteLength - NOISE_TAG_BYTES; i < ct.byteLength; i++) if (ct[i] !== n) throw new Error('bad tag')
      received++
      return ct.subarray(0, ct.byteLength - NOISE_TAG_BYTES).map((x) => x ^ n)
    },
  }
}

async function * chunksOf(...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk
}

async function readAll(source: AsyncIterable<Bytes>): Promise<Uint8Array> {
  const list = new Uint8ArrayList()
  for await (const chunk of source) list.append(chunk)
  return list.subarray()
}

describe('sealChunk', () => {
  it('frames a chunk as length-prefixed messages of at most 65535 bytes, splitting at 65519 bytes of plaintext', () => {
    const cipher = fakeCipher()
    const plain = randomBytes(2 * NOISE_PLAINTEXT_BYTES_MAX + 10)
    const sealed = sealChunk(new Uint8ArrayList(plain.subarray(0, 7), plain.subarray(7)), cipher.encrypt)!
    const lengths: number[] = []
    for (let at = 0; at < sealed.byteLength;) {
      const length = (sealed[at]! << 8) | sealed[at + 1]!
      lengths.push(length)
      at += 2 + length
    }
    expect(lengths).toEqual([NOISE_MESSAGE_BYTES_MAX, NOISE_MESSAGE_BYTES_MAX, 10 + NOISE_TAG_BYTES])
    expect(sealed.byteLength).toBe(plain.byteLength + 3 * (2 + NOISE_TAG_BYTES))
    expect(sealChunk(new Uint8Array(0), cipher.encrypt)).toBeUndefined()
  })
})

describe('NoiseMessageReader', () => {
  it('cuts messages out of chunks split at every byte, and views whole ones in place', () => {
    const wire = Uint8Array.from([0, 3, 1, 2, 3, 0, 0, 0, 2, 9, 8])
    const reader = new NoiseMessageReader()
    reader.push(wire)
    const first = reader.take()!
    expect([...first]).toEqual([1, 2, 3])
    expect(first.buffer).toBe(wire.buffer)
    expect([...reader.take()!]).toEqual([])
    expect([...reader.take()!]).toEqual([9, 8])
    expect(reader.take()).toBeUndefined()
    const split = new NoiseMessageReader()
    const out: number[][] = []
    for (const byte of wire) {
      split.push(Uint8Array.of(byte))
      for (let m = split.take(); m !== undefined; m = split.take()) out.push([...m])
    }
    expect(out).toEqual([[1, 2, 3], [], [9, 8]])
    expect(split.bufferedBytes).toBe(0)
  })
})

describe('SealingSource and OpeningSource', () => {
  it('carry chunks of any size through, in order, with chunk boundaries moved around', async () => {
    const cipher = fakeCipher()
    const chunks = [randomBytes(1), randomBytes(100), randomBytes(NOISE_PLAINTEXT_BYTES_MAX), randomBytes(200_000), randomBytes(3)]
    const wire = await readAll(new SealingSource(chunksOf(...chunks), cipher.encrypt))
    // Re-cut the wire bytes into odd pieces, as TCP may.
    const pieces: Uint8Array[] = []
    for (let at = 0; at < wire.byteLength; at += 7919) pieces.push(wire.subarray(at, at + 7919))
    const opened = await readAll(new OpeningSource(chunksOf(...pieces), cipher.decrypt))
    expect(Buffer.from(opened).equals(Buffer.concat(chunks))).toBe(true)
  })

  it('fails on a bad tag and stays failed, releasing the network source', async () => {
    const cipher = fakeCipher()
    const wire = await readAll(new SealingSource(chunksOf(randomBytes(50), randomBytes(50)), cipher.encrypt))
    wire[wire.byteLength - 1]! ^= 1
    let released = false
    const network = (async function * () {
      try {
        yield wire
        yield randomBytes(10)
      } finally {
        released = true
      }
    })()
    const opening = new OpeningSource(network, fakeCipher().decrypt)
    await expect(opening.next()).rejects.toThrow('bad tag')
    await expect(opening.next()).rejects.toThrow('bad tag')
    expect(released).toBe(true)
  })

  it('fails on a message shorter than its tag and on a stream that ends inside a message', async () => {
    await expect(readAll(new OpeningSource(chunksOf(Uint8Array.of(0, 5, 1, 2, 3, 4, 5)), fakeCipher().decrypt))).rejects.toThrow(/shorter than its tag/)
    await expect(readAll(new OpeningSource(chunksOf(Uint8Array.of(0, 40, 1, 2)), fakeCipher().decrypt))).rejects.toThrow(/ended inside a noise message/)
    expect(await readAll(new OpeningSource(chunksOf(Uint8Array.of(0, 0)), fakeCipher().decrypt))).toHaveLength(0)
  })
})

describe('SinkFeed', () => {
  it('relays the handshake, then reads the attached transport, through one call of the sink', async () => {
    let calls = 0
    const written: number[][] = []
    const feed = new SinkFeed(async (source) => {
      calls++
      for await (const chunk of source) written.push([...flat(chunk)])
    })
    const handshake = (async function * () {
      yield Uint8Array.of(1)
      yield Uint8Array.of(2)
      await new Promise(() => {}) // noise never ends its handshake writer
    })()
    void feed.handshakeSink(handshake).catch(() => {})
    await until(() => written.length === 2)
    feed.attach(chunksOf(Uint8Array.of(3), Uint8Array.of(4)))
    await feed.done
    expect(written).toEqual([[1], [2], [3], [4]])
    expect(calls).toBe(1)
  })
})

// ---- real TCP ----

type Node = Libp2p
const nodes: Node[] = []
const servers: Server[] = []
const ECHO = '/troupe-test/echo/1'

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() }))
  await Promise.all(servers.splice(0).map(async (s) => { await new Promise((r) => { s.close(r) }) }))
})

async function bareNode(kind: 'lean' | 'stock', stats?: LeanNoiseStats): Promise<Node> {
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [kind === 'lean' ? leanNoise({ stats }) : noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
  })
  await node.handle(ECHO, ({ stream }) => {
    void stream.sink(stream.source).catch(() => {})
  })
  nodes.push(node)
  return node
}

/** Sends `payload` on a new echo stream from `from` to `to` (at `addr`) and returns what comes back. */
async function echo(from: Node, addr: ReturnType<typeof multiaddr>, payload: Uint8Array): Promise<Uint8Array> {
  const stream = await from.dialProtocol(addr, ECHO)
  const reading = readAll(stream.source)
  const pieces: Uint8Array[] = []
  for (let at = 0; at < payload.byteLength; at += 50_000) pieces.push(payload.subarray(at, at + 50_000))
  await stream.sink(chunksOf(...pieces))
  return reading
}

describe('lean noise over real TCP', () => {
  it('the installed noise has the shape the lean path patches', () => {
    const encrypter = noise()({ logger: defaultLogger() } as unknown as Parameters<ReturnType<typeof noise>>[0])
    expect(hasLeanNoiseShape(encrypter)).toBe(true)
  })

  for (const [dialer, listener] of [['lean', 'lean'], ['lean', 'stock'], ['stock', 'lean']] as const) {
    it(`${dialer} dialing ${listener}: the lean side runs the lean path and 600 KiB and small messages arrive intact`, async () => {
      const stats = { lean: 0, stock: 0 }
      const a = await bareNode(dialer, stats)
      const b = await bareNode(listener, stats)
      const addr = b.getMultiaddrs()[0]!
      const big = randomBytes(600 * 1024)
      expect(Buffer.from(await echo(a, addr, big)).equals(big)).toBe(true)
      for (let i = 0; i < 20; i++) {
        const small = randomBytes(1 + i * 13)
        expect(Buffer.from(await echo(a, addr, small)).equals(small)).toBe(true)
      }
      const leanSides = (dialer === 'lean' ? 1 : 0) + (listener === 'lean' ? 1 : 0)
      expect(stats).toEqual({ lean: leanSides, stock: 0 })
    })
  }

  it('a corrupted message closes the connection on the lean side', async () => {
    const stats = { lean: 0, stock: 0 }
    const lean = await bareNode('lean', stats)
    const stock = await bareNode('stock')
    // A TCP proxy in front of the lean node that flips a bit of the next chunk sent to it once told to.
    let corrupt = false
    const { server, port } = await tcpProxy(lean.getMultiaddrs()[0]!.nodeAddress(), {
      toTarget: (data) => {
        if (corrupt && data.byteLength > 0) {
          corrupt = false
          data[data.byteLength - 1]! ^= 0x01
        }
        return data
      },
    })
    servers.push(server)
    const addr = multiaddr(`/ip4/127.0.0.1/tcp/${port}/p2p/${lean.peerId.toString()}`)
    const hello = randomBytes(100)
    expect(Buffer.from(await echo(stock, addr, hello)).equals(hello)).toBe(true)
    expect(stats.lean).toBe(1)
    expect(lean.getConnections(stock.peerId)).toHaveLength(1)
    corrupt = true
    await echo(stock, addr, randomBytes(100)).catch(() => undefined)
    await until(() => lean.getConnections(stock.peerId).length === 0)
  })
})
