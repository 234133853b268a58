import type { Server } from 'node:net'
import { pushable } from 'it-pushable'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { leanNoise } from '../../src/net/lean-noise.js'
import { tcpProxy } from '../helpers/tcp-proxy.js'
import { until } from '../wire/helpers.js'
import { holdAtPush, holdWindowUpdates, pureCredit, withHeldWindowUpdates } from '../../src/net/window-updates.js'

/** A yamux header: version 0, type, flags, stream id, length (the credit for a WindowUpdate). */
function header(type: number, flags: number, stream: number, length: number): Uint8Array {
  const out = new Uint8Array(12)
  const view = new DataView(out.buffer)
  out[1] = type
  view.setUint16(2, flags)
  view.setUint32(4, stream)
  view.setUint32(8, length)
  return out
}
const credit = (stream: number, length: number): Uint8Array => header(1, 0, stream, length)
const data = (stream: number, body: number[]): Uint8ArrayList => new Uint8ArrayList(header(0, 0, stream, body.length), Uint8Array.from(body))
const bytes = (chunk: Uint8Array | Uint8ArrayList): Uint8Array => chunk instanceof Uint8Array ? chunk : chunk.subarray()

/** Lets pending promise reactions run. */
const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await Promise.resolve() }

describe('pureCredit', () => {
  it('reads the credit of a flagless WindowUpdate, in either chunk shape', () => {
    expect(pureCredit(credit(3, 1234))).toBe(1234)
    expect(pureCredit(new Uint8ArrayList(credit(3, 7).subarray(0, 5), credit(3, 7).subarray(5)))).toBe(7)
  })

  it('refuses every other frame: data, flags, ping, go-away, wrong version, several headers', () => {
    expect(pureCredit(header(0, 0, 3, 0))).toBeUndefined()
    for (const flag of [1, 2, 4, 8]) expect(pureCredit(header(1, flag, 3, 10))).toBeUndefined()
    expect(pureCredit(header(2, 1, 0, 9))).toBeUndefined()
    expect(pureCredit(header(3, 0, 0, 0))).toBeUndefined()
    const v1 = credit(3, 10)
    v1[0] = 1
    expect(pureCredit(v1)).toBeUndefined()
    expect(pureCredit(new Uint8ArrayList(credit(3, 10), credit(5, 10)))).toBeUndefined()
    expect(pureCredit(data(3, [1, 2, 3]))).toBeUndefined()
  })
})

describe('holdWindowUpdates', () => {
  it('sends held credits in front of the next frame, in order, as one chunk', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source)
    const first = out.next()
    source.push(credit(1, 100))
    source.push(credit(3, 50))
    source.push(data(1, [9, 8]))
    const chunk = await first
    expect(bytes(chunk.value!)).toEqual(Uint8Array.from([...credit(1, 100), ...credit(3, 50), ...bytes(data(1, [9, 8]))]))
  })

  it('passes frames straight through when nothing is held', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source)
    const ping = header(2, 1, 0, 42)
    source.push(ping)
    expect((await out.next()).value).toBe(ping)
    const d = data(5, [1])
    source.push(d)
    expect((await out.next()).value).toBe(d)
  })

  it('keeps lone credits below the thresholds until the next frame, across turns of the event loop', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source)
    let got: Uint8Array | undefined
    void out.next().then(r => { got = bytes(r.value!) })
    source.push(credit(1, 100))
    await settle()
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setTimeout(resolve, 5))
    await settle()
    expect(got).toBeUndefined()
    source.push(data(1, [7]))
    await settle()
    expect(got).toEqual(Uint8Array.from([...credit(1, 100), ...bytes(data(1, [7]))]))
  })

  it('sends credits at once past holdBytes or holdFramesMax, so a bulk sender is not starved', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source, { holdBytes: 1000, holdFramesMax: 3 })
    source.push(credit(1, 600))
    source.push(credit(1, 600))
    expect(bytes((await out.next()).value!)).toEqual(Uint8Array.from([...credit(1, 600), ...credit(1, 600)]))
    source.push(credit(1, 1))
    source.push(credit(1, 1))
    source.push(credit(1, 1))
    source.push(credit(1, 1))
    expect(bytes((await out.next()).value!).byteLength).toBe(4 * 12)
  })

  it('never holds a credit carrying flags (FIN, RST, SYN, ACK): it goes out with what is held, at once', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source)
    source.push(credit(1, 10))
    const fin = header(1, 4, 1, 0)
    source.push(fin)
    expect(bytes((await out.next()).value!)).toEqual(Uint8Array.from([...credit(1, 10), ...fin]))
  })

  it('flushes what is held when the muxer ends', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source)
    source.push(credit(1, 10))
    source.end()
    expect(bytes((await out.next()).value!)).toEqual(credit(1, 10))
    expect((await out.next()).done).toBe(true)
  })
})

describe('holdAtPush (the hold inside the muxer source\'s push, as yamux is wrapped)', () => {
  it('queues held credits in front of the next frame, in order, as one chunk; other frames pass as they are', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const hold = holdAtPush(source)
    source.push(credit(1, 100))
    source.push(credit(3, 50))
    expect(hold.heldFrames).toBe(2)
    source.push(data(1, [9, 8]))
    expect(hold.heldFrames).toBe(0)
    expect(bytes((await source.next()).value!)).toEqual(Uint8Array.from([...credit(1, 100), ...credit(3, 50), ...bytes(data(1, [9, 8]))]))
    const d = data(5, [1])
    source.push(d)
    expect((await source.next()).value).toBe(d)
  })

  it('queues no lone credit below the thresholds, however many turns pass', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const hold = holdAtPush(source)
    source.push(credit(1, 100))
    source.push(credit(1, 20))
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setTimeout(resolve, 5))
    expect(source.readableLength).toBe(0)
    expect(hold.heldFrames).toBe(2)
  })

  it('queues credits at once past holdBytes or holdFramesMax, and never holds flagged frames', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    holdAtPush(source, { holdBytes: 1000, holdFramesMax: 2 })
    source.push(credit(1, 600))
    source.push(credit(1, 600))
    expect(bytes((await source.next()).value!).byteLength).toBe(24)
    source.push(credit(1, 1))
    source.push(credit(1, 1))
    source.push(credit(1, 1))
    expect(bytes((await source.next()).value!).byteLength).toBe(36)
    source.push(credit(1, 1))
    const fin = header(1, 4, 1, 0)
    source.push(fin)
    expect(bytes((await source.next()).value!)).toEqual(Uint8Array.from([...credit(1, 1), ...fin]))
  })

  it('queues what is held before the source ends', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    holdAtPush(source)
    source.push(credit(1, 10))
    source.end()
    expect(bytes((await source.next()).value!)).toEqual(credit(1, 10))
    expect((await source.next()).done).toBe(true)
  })
})

describe('withHeldWindowUpdates over the real yamux', () => {
  it('holds at push time: a credit queued by the muxer waits, the next frame takes it along', async () => {
    const factory = withHeldWindowUpdates(yamux())({ logger: defaultLogger() })
    const muxer = factory.createStreamMuxer({ direction: 'outbound' })
    const source = muxer.source as unknown as { readableLength: number, push: (c: Uint8Array) => void }
    const before = source.readableLength
    source.push(credit(1, 100))
    expect(source.readableLength).toBe(before)
    source.push(header(2, 1, 0, 7))
    expect(source.readableLength).toBe(before + 24) // bytes: the credit and the ping, queued together
    muxer.abort(new Error('test over'))
  })
})

// ---- real TCP: two libp2p nodes with the hold, a counting proxy between them ----

const SINK = '/troupe-test/sink/1'
const nodes: Libp2p[] = []
const servers: Server[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() }))
  await Promise.all(servers.splice(0).map(async (s) => { await new Promise((r) => { s.close(r) }) }))
})

/** A node whose SINK handler reads everything sent to it and never writes; `received` counts the bytes. */
async function sinkNode(): Promise<{ node: Libp2p, received: () => number }> {
  let received = 0
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [leanNoise()],
    streamMuxers: [withHeldWindowUpdates(yamux())],
    connectionMonitor: { enabled: false },
  })
  await node.handle(SINK, ({ stream }) => {
    void (async () => { for await (const chunk of stream.source) received += chunk.byteLength })().catch(() => {})
  })
  nodes.push(node)
  return { node, received: () => received }
}

describe('the hold between two nodes over real TCP', () => {
  it('a one-way bulk transfer of 12 windows completes: the receiver\'s credits reach the sender without a frame of its own', async () => {
    const sink = await sinkNode()
    const sender = await sinkNode()
    const stream = await sender.node.dialProtocol(sink.node.getMultiaddrs()[0]!, SINK)
    const bulk = new Uint8Array(3 * 1024 * 1024).fill(7)
    const pieces: Uint8Array[] = []
    for (let at = 0; at < bulk.byteLength; at += 64 * 1024) pieces.push(bulk.subarray(at, at + 64 * 1024))
    await stream.sink((async function * () { yield * pieces })())
    await until(() => sink.received() === bulk.byteLength)
  })

  it('one-way small messages cost the receiver no write each: its credits wait, bounded, for a threshold', async () => {
    const sink = await sinkNode()
    const sender = await sinkNode()
    let back = 0 // bytes the sink sent back over the connection
    const proxy = await tcpProxy(sink.node.getMultiaddrs()[0]!.nodeAddress(), { fromTarget: (data) => { back += data.byteLength } })
    servers.push(proxy.server)
    const stream = await sender.node.dialProtocol(multiaddr(`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${sink.node.peerId.toString()}`), SINK)
    const messages = pushable<Uint8Array>()
    const sending = stream.sink(messages)
    const MESSAGES = 200
    const size = 100
    await until(() => back > 0) // the handshake and the stream's opening are done
    await new Promise(resolve => setTimeout(resolve, 50))
    const before = back
    for (let i = 1; i <= MESSAGES; i++) {
      messages.push(new Uint8Array(size).fill(i))
      await until(() => sink.received() === i * size)
      await new Promise(resolve => setImmediate(resolve)) // a turn of the event loop on each side between messages
    }
    const sent = back - before
    // A lone credit in its own noise message is 30 bytes: one per message would be 6,000. Held, they go 64 to a write.
    expect(sent).toBeLessThan(MESSAGES * 30 / 2)
    expect(sent).toBeGreaterThan(0) // past 64 held frames they do go
    messages.end()
    await sending
  })
})
