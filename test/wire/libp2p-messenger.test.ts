// What only the libp2p messenger can show: stream reuse, simultaneous open,
// peers vanishing, backpressure on a real link, and hostile bytes on the wire.

import { pushable } from 'it-pushable'
import { afterEach, describe, expect, it } from 'vitest'
import { UnavailableError } from '../../src/errors.js'
import type { Stream } from '@libp2p/interface'
import type { TroupeNode } from '../../src/net/node.js'
import { PROTOCOL } from '../../src/wire/constants.js'
import { BackpressureError } from '../../src/wire/errors.js'
import { decodeFrame, encodeFrame, type Frame } from '../../src/wire/frame.js'
import { FrameDecoder, frameBytes } from '../../src/wire/framing.js'
import { Libp2pMessenger } from '../../src/wire/libp2p-messenger.js'
import type { Libp2pMessengerInit } from '../../src/wire/options.js'
import { connect, gate, recordingLogger, startNode, until, type RecordingLogger } from './helpers.js'

interface Side { node: TroupeNode, m: Libp2pMessenger, name: string, log: RecordingLogger }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function side(init: Libp2pMessengerInit = {}): Promise<Side> {
  const node = await startNode()
  const log = recordingLogger()
  const m = new Libp2pMessenger({ node, logger: log }, init)
  await m.start()
  cleanups.push(async () => { await m.stop(); await node.stop() })
  return { node, m, name: node.peerId.toString(), log }
}

async function pair(init: Libp2pMessengerInit = {}): Promise<[Side, Side]> {
  const [a, b] = await Promise.all([side(init), side(init)])
  await connect(a.node, b.node)
  return [a, b]
}

/** A link stream driven by the test itself, frame by frame. */
interface RawLink {
  write: (bytes: Uint8Array) => void
  /** Ends our write side (FIN). */
  end: () => void
  frames: AsyncGenerator<Frame>
  done: Promise<void>
}

function rawStream(stream: Stream): RawLink {
  const out = pushable()
  const done = stream.sink(out)
  async function * frames(): AsyncGenerator<Frame> {
    const decoder = new FrameDecoder()
    for await (const chunk of stream.source) for (const f of decoder.push(chunk)) yield decodeFrame(f)
  }
  return { write: (bytes) => out.push(bytes), end: () => out.end(), frames: frames(), done }
}

/** Opens a link stream from `from`'s node (not its messenger) to `to`. */
async function rawLink(from: Side, to: Side): Promise<RawLink> {
  return rawStream(await from.node.dialProtocol(to.node.peerId, PROTOCOL))
}

/** Stops `side`'s messenger and hands out the link streams its node accepts from now on, raw. */
async function rawAccept(side: Side): Promise<() => Promise<RawLink>> {
  await side.m.stop()
  const accepted = pushable<RawLink>({ objectMode: true })
  await side.node.handle(PROTOCOL, ({ stream }) => { accepted.push(rawStream(stream)) })
  const it = accepted[Symbol.asyncIterator]()
  return async () => within((async () => (await it.next()).value as RawLink)(), 'an accepted link stream')
}

/** `promise`, or a failure naming `what` after 5 s (a hang fails fast instead of at the test timeout). */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within 5 s`)), 5_000) })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** The next frame `link` reads (fails after 5 s, or if the stream ends first). */
async function nextFrame(link: RawLink): Promise<Frame> {
  const next = await within(link.frames.next(), 'frame')
  if (next.done === true) throw new Error('the link ended instead')
  return next.value
}

/** Both sides of a pair, named by which one has the lower peer id (its streams win tie-breaks between openers). */
async function orderedPair(init: Libp2pMessengerInit = {}): Promise<{ low: Side, high: Side }> {
  const [a, b] = await pair(init)
  return a.name < b.name ? { low: a, high: b } : { low: b, high: a }
}

function linkStreams(from: Side, to: Side): number {
  return from.node.getConnections(to.node.peerId).flatMap(c => c.streams).filter(s => s.protocol === PROTOCOL).length
}

describe('Libp2pMessenger', () => {
  it('uses exactly one stream per peer pair for many requests in both directions', async () => {
    const [a, b] = await pair()
    a.m.handle('n', (_f, body) => body)
    b.m.handle('n', (_f, body) => body)
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => [a.m.request(b.name, 'n', i), b.m.request(a.name, 'n', i)]).flat())
    }
    expect(linkStreams(a, b)).toBe(1)
    expect(linkStreams(b, a)).toBe(1)
  })

  it('works when both sides send their first request at once, and settles on one stream', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const [a, b] = await pair()
      a.m.handle('who', () => 'a')
      b.m.handle('who', () => 'b')
      const first = await Promise.all([a.m.request(b.name, 'who', null), b.m.request(a.name, 'who', null), a.m.request(b.name, 'who', null), b.m.request(a.name, 'who', null)])
      expect(first).toEqual(['b', 'a', 'b', 'a'])
      await until(() => linkStreams(a, b) === 1 && linkStreams(b, a) === 1)
      expect(await Promise.all([a.m.request(b.name, 'who', null), b.m.request(a.name, 'who', null)])).toEqual(['b', 'a'])
      expect(linkStreams(a, b)).toBe(1)
    }
  })

  it('answers a request whose body the receiver cannot decode with a ProtocolError at once, and the link stays usable', async () => {
    const [a, b] = await pair()
    let called = 0
    b.m.handle('n', (_f, body) => { called++; return body })
    // msgpack carries a map with object keys; the receiver decodes maps as objects, so it cannot take this one.
    const started = performance.now()
    await expect(a.m.request(b.name, 'n', new Map([[{ k: 1 }, 2]]), { timeoutMs: 20_000 })).rejects.toMatchObject({ name: 'ProtocolError', code: 'ERR_PROTOCOL' })
    expect(performance.now() - started).toBeLessThan(10_000)
    expect(called).toBe(0)
    expect(b.log.warnings.some(w => w.msg === 'dropped a malformed frame')).toBe(true)
    expect(await a.m.request(b.name, 'n', 'fine')).toBe('fine')
  })

  it('dials a peer by id when only its address is known', async () => {
    const [a, b] = await Promise.all([side(), side()])
    await a.node.peerStore.merge(b.node.peerId, { multiaddrs: b.node.getMultiaddrs() })
    b.m.handle('hi', () => 'hello')
    expect(await a.m.request(b.name, 'hi', null)).toBe('hello')
  })

  it('rejects with UnavailableError when the peer does not speak the protocol', async () => {
    const [a, b] = await pair()
    await b.m.stop()
    await expect(a.m.request(b.name, 'x', null)).rejects.toBeInstanceOf(UnavailableError)
  })

  it('rejects pending requests at once when the peer node stops, not at the timeout', async () => {
    const [a, b] = await pair()
    const g = gate()
    cleanups.push(async () => g.open())
    b.m.handle('slow', () => g.promise)
    const pending = Array.from({ length: 20 }, () => a.m.request(b.name, 'slow', null, { timeoutMs: 20_000 }).catch((e: unknown) => e))
    await until(() => linkStreams(a, b) === 1)
    const started = Date.now()
    await b.node.stop()
    const errors = await Promise.all(pending)
    expect(Date.now() - started).toBeLessThan(2_000)
    for (const err of errors) expect(err).toBeInstanceOf(UnavailableError)
  })

  it('rejects pending requests at once when the connection dies abruptly', async () => {
    const [a, b] = await pair()
    const g = gate()
    cleanups.push(async () => g.open())
    b.m.handle('slow', () => g.promise)
    b.m.handle('echo', (_f, body) => body)
    const pending = a.m.request(b.name, 'slow', null, { timeoutMs: 20_000 }).catch((e: unknown) => e)
    await until(() => linkStreams(a, b) === 1)
    for (const c of b.node.getConnections(a.node.peerId)) c.abort(new Error('simulated crash'))
    expect(await pending).toBeInstanceOf(UnavailableError)
    await until(() => a.node.getConnections(b.node.peerId).length === 0)
    // The next request reconnects (a knows b's address from the first dial).
    expect(await a.m.request(b.name, 'echo', 'back')).toBe('back')
  })

  it('refuses sends with BackpressureError when the outbound queue is full', async () => {
    const [a, b] = await pair({ outboundFramesMax: 8 })
    const got: unknown[] = []
    b.m.on('m', (_f, body) => { got.push(body) })
    await a.m.send(b.name, 'm', 'open the link')
    // Sent in one tick: nothing is written until the tick ends, so the ninth frame finds the queue full.
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => a.m.send(b.name, 'm', i)))
    expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(8)
    for (const r of results.slice(8)) expect(r.status === 'rejected' && r.reason).toBeInstanceOf(BackpressureError)
    await until(() => got.length === 9)
    // The queue drained: sending works again.
    await a.m.send(b.name, 'm', 'again')
    await until(() => got.length === 10)
  })

  it('refuses by bytes too', async () => {
    const [a, b] = await pair({ frameBytesMax: 1024, outboundBytesMax: 4096 })
    b.m.on('m', () => {})
    await a.m.send(b.name, 'm', 'open the link')
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => a.m.send(b.name, 'm', new Uint8Array(1000))))
    expect(results.filter(r => r.status === 'rejected').length).toBeGreaterThan(0)
  })
})

describe('Libp2pMessenger settling two links to one peer', () => {
  it('closes a losing link it opened once its own requests on it are answered', async () => {
    // The raw side opens the winner: it has the lower peer id.
    // Raw streams never answer the messenger's FIN at teardown: a short close timeout keeps it quick.
    const { low: raw, high: b } = await orderedPair({ closeTimeoutMs: 100 })
    b.m.handle('echo', (_f, body) => body)
    const acceptedLink = await rawAccept(raw)
    const answer = b.m.request(raw.name, 'q', 'on the loser')
    const loser = await acceptedLink()
    const request = await nextFrame(loser)
    expect(request).toMatchObject({ kind: 'request', channel: 'q', body: 'on the loser' })
    const winner = await rawLink(raw, b)
    winner.write(encodeFrame({ kind: 'request', id: 1, channel: 'echo', body: 'w' }))
    expect(await nextFrame(winner)).toEqual({ kind: 'response-ok', id: 1, body: 'w' })
    // b has retired its own link with one request pending on it: the answer is the last thing owed, then b FINs.
    loser.write(encodeFrame({ kind: 'response-ok', id: (request as { id: number }).id, body: 'answered' }))
    expect(await answer).toBe('answered')
    expect((await within(loser.frames.next(), 'FIN')).done).toBe(true)
    loser.end()
    await until(() => linkStreams(b, raw) === 1)
  })

  it('keeps answering on a link the peer opened and retired, until the peer\'s FIN', async () => {
    const [raw, b] = await pair({ closeTimeoutMs: 100 })
    b.m.handle('echo', (_f, body) => body)
    const older = await rawLink(raw, b)
    older.write(encodeFrame({ kind: 'request', id: 1, channel: 'echo', body: 'o1' }))
    expect(await nextFrame(older)).toEqual({ kind: 'response-ok', id: 1, body: 'o1' })
    // A newer stream from the same opener wins: b retires the older one but must keep answering on it.
    const newer = await rawLink(raw, b)
    newer.write(encodeFrame({ kind: 'request', id: 1, channel: 'echo', body: 'n1' }))
    expect(await nextFrame(newer)).toEqual({ kind: 'response-ok', id: 1, body: 'n1' })
    older.write(encodeFrame({ kind: 'request', id: 2, channel: 'echo', body: 'o2' }))
    expect(await nextFrame(older)).toEqual({ kind: 'response-ok', id: 2, body: 'o2' })
    older.write(encodeFrame({ kind: 'request', id: 3, channel: 'echo', body: 'o3' }))
    expect(await nextFrame(older)).toEqual({ kind: 'response-ok', id: 3, body: 'o3' })
    // Our FIN; b answers with its own.
    older.end()
    expect((await within(older.frames.next(), 'FIN')).done).toBe(true)
    await until(() => linkStreams(b, raw) === 1)
  })

  it('sends wait for its own dial rather than use a link the peer opened meanwhile', async () => {
    // b's own stream wins the tie-break: b has the lower peer id.
    const { low: b, high: raw } = await orderedPair({ closeTimeoutMs: 100 })
    await b.m.stop()
    const dialGate = gate()
    cleanups.push(async () => dialGate.open())
    const node = b.node
    const dialProtocol = (async (...args: Parameters<TroupeNode['dialProtocol']>) => {
      await dialGate.promise
      return node.dialProtocol(...args)
    }) as TroupeNode['dialProtocol']
    const m = new Libp2pMessenger({ node: { peerId: node.peerId, handle: node.handle.bind(node), unhandle: node.unhandle.bind(node), dialProtocol }, logger: recordingLogger() }, { closeTimeoutMs: 100 })
    await m.start()
    cleanups.push(async () => { await m.stop() })
    m.handle('echo', (_f, body) => body)
    const acceptedLink = await rawAccept(raw)
    const first = m.request(raw.name, 'q', 1)
    // While b's dial is held, the peer opens a link of its own, and b takes it.
    const theirs = await rawLink(raw, b)
    theirs.write(encodeFrame({ kind: 'request', id: 1, channel: 'echo', body: 't1' }))
    expect(await nextFrame(theirs)).toEqual({ kind: 'response-ok', id: 1, body: 't1' })
    const second = m.request(raw.name, 'q', 2)
    dialGate.open()
    // Both requests went out on b's own link, which wins; none on the link that loses and that its opener will close.
    const ours = await acceptedLink()
    const requests = [await nextFrame(ours), await nextFrame(ours)] as Array<{ kind: string, id: number, body: unknown }>
    expect(requests.map(r => [r.kind, r.body])).toEqual([['request', 1], ['request', 2]])
    for (const r of requests) ours.write(encodeFrame({ kind: 'response-ok', id: r.id, body: `answer ${String(r.body)}` }))
    expect(await Promise.all([first, second])).toEqual(['answer 1', 'answer 2'])
    theirs.end()
    expect((await within(theirs.frames.next(), 'FIN')).done).toBe(true)
  })
})

describe('Libp2pMessenger facing a hostile peer', () => {
  it('logs and drops malformed frames, and keeps serving the link', async () => {
    // The raw side never answers our FIN: a short close timeout keeps teardown quick.
    const [raw, b] = await pair({ closeTimeoutMs: 100 })
    b.m.handle('echo', (_f, body) => body)
    const link = await rawLink(raw, b)
    link.write(frameBytes(new Uint8Array([0xc1]))) // never-used msgpack byte
    link.write(frameBytes(new Uint8Array([0x93, 0x09, 0x01, 0x02]))) // [9, 1, 2]: unknown kind
    link.write(frameBytes(new Uint8Array([0x94, 0x00, 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 0xa1, 0x63, 0xc0]))) // request id 2^32
    link.write(encodeFrame({ kind: 'request', id: 1, channel: 'echo', body: 'still here' }))
    const reply = await link.frames.next()
    expect(reply.value).toEqual({ kind: 'response-ok', id: 1, body: 'still here' })
    expect(b.log.warnings.map(w => w.msg)).toEqual(['dropped a malformed frame', 'dropped a malformed frame', 'dropped a malformed frame'])
  })

  it('closes the link on a framing error (oversized length)', async () => {
    const [raw, b] = await pair({ closeTimeoutMs: 100 })
    const link = await rawLink(raw, b)
    link.write(new Uint8Array([0xff, 0xff, 0xff, 0xff]))
    // The stream ends (reset) instead of the peer buffering 4 GiB.
    await expect((async () => { for await (const _ of link.frames) { /* drain */ } })()).rejects.toThrow()
    await until(() => b.log.warnings.some(w => w.msg.startsWith('link aborted')))
    // The process is fine and a fresh link works.
    b.m.handle('echo', (_f, body) => body)
    const again = await rawLink(raw, b)
    again.write(encodeFrame({ kind: 'request', id: 1, channel: 'echo', body: 1 }))
    expect((await again.frames.next()).value).toEqual({ kind: 'response-ok', id: 1, body: 1 })
  })

  it('answers the first requests of a large read while it handles the rest', async () => {
    const [raw, b] = await pair()
    let handled = 0
    b.m.handle('count', () => ++handled)
    const link = await rawLink(raw, b)
    // 100 requests in one write: one read on b. Answered only once all were handled, the first reply would
    // find 100 handled; b lets the event loop turn every READ_FRAMES_PER_TURN (32) frames instead.
    const frames = Array.from({ length: 100 }, (_, i) => encodeFrame({ kind: 'request', id: i + 1, channel: 'count', body: null }))
    const all = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0))
    frames.reduce((at, f) => { all.set(f, at); return at + f.byteLength }, 0)
    link.write(all)
    const first = await nextFrame(link)
    const handledAtFirst = handled
    const replies = [first]
    while (replies.length < 100) replies.push(await nextFrame(link))
    expect(replies.map(r => r.kind === 'response-ok' ? [r.id, r.body] : r)).toEqual(Array.from({ length: 100 }, (_, i) => [i + 1, i + 1]))
    expect(handledAtFirst).toBeGreaterThanOrEqual(32)
    expect(handledAtFirst).toBeLessThan(100)
  })
})
