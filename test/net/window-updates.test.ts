import { pushable } from 'it-pushable'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { yamux } from '@chainsafe/libp2p-yamux'
import { defaultLogger } from '@libp2p/logger'
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

/** A hand-run "end of turn": deferred functions run only when the test says so. */
function turns(): { defer: (fn: () => void) => () => void, end: () => void, pending: () => number } {
  const queue = new Set<() => void>()
  return {
    defer: (fn) => { queue.add(fn); return () => { queue.delete(fn) } },
    end: () => { const due = [...queue]; queue.clear(); for (const fn of due) fn() },
    pending: () => queue.size,
  }
}

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
    const out = holdWindowUpdates(source, { defer: turns().defer })
    const first = out.next()
    source.push(credit(1, 100))
    source.push(credit(3, 50))
    source.push(data(1, [9, 8]))
    const chunk = await first
    expect(bytes(chunk.value!)).toEqual(Uint8Array.from([...credit(1, 100), ...credit(3, 50), ...bytes(data(1, [9, 8]))]))
  })

  it('passes frames straight through when nothing is held', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source, { defer: turns().defer })
    const ping = header(2, 1, 0, 42)
    source.push(ping)
    expect((await out.next()).value).toBe(ping)
    const d = data(5, [1])
    source.push(d)
    expect((await out.next()).value).toBe(d)
  })

  it('sends lone credits at the end of the event-loop turn', async () => {
    const turn = turns()
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source, { defer: turn.defer })
    let got: Uint8Array | undefined
    void out.next().then(r => { got = bytes(r.value!) })
    source.push(credit(1, 100))
    await settle()
    expect(got).toBeUndefined()
    turn.end()
    await settle()
    expect(got).toEqual(credit(1, 100))
  })

  it('sends credits at once past holdBytes or holdFramesMax, so a bulk sender is not starved', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source, { defer: turns().defer, holdBytes: 1000, holdFramesMax: 3 })
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
    const out = holdWindowUpdates(source, { defer: turns().defer })
    source.push(credit(1, 10))
    const fin = header(1, 4, 1, 0)
    source.push(fin)
    expect(bytes((await out.next()).value!)).toEqual(Uint8Array.from([...credit(1, 10), ...fin]))
  })

  it('flushes what is held when the muxer ends, and cancels its deferral', async () => {
    const turn = turns()
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const out = holdWindowUpdates(source, { defer: turn.defer })
    source.push(credit(1, 10))
    source.end()
    expect(bytes((await out.next()).value!)).toEqual(credit(1, 10))
    expect((await out.next()).done).toBe(true)
    expect(turn.pending()).toBe(0)
  })
})

describe('holdAtPush (the hold inside the muxer source\'s push, as yamux is wrapped)', () => {
  it('queues held credits in front of the next frame, in order, as one chunk; other frames pass as they are', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    const hold = holdAtPush(source, { defer: turns().defer })
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

  it('queues lone credits at the end of the event-loop turn, once', async () => {
    const turn = turns()
    const source = pushable<Uint8Array | Uint8ArrayList>()
    holdAtPush(source, { defer: turn.defer })
    source.push(credit(1, 100))
    source.push(credit(1, 20))
    expect(source.readableLength).toBe(0)
    expect(turn.pending()).toBe(1)
    turn.end()
    expect(bytes((await source.next()).value!)).toEqual(Uint8Array.from([...credit(1, 100), ...credit(1, 20)]))
  })

  it('queues credits at once past holdBytes or holdFramesMax, and never holds flagged frames', async () => {
    const source = pushable<Uint8Array | Uint8ArrayList>()
    holdAtPush(source, { defer: turns().defer, holdBytes: 1000, holdFramesMax: 2 })
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

  it('queues what is held before the source ends, and cancels its deferral', async () => {
    const turn = turns()
    const source = pushable<Uint8Array | Uint8ArrayList>()
    holdAtPush(source, { defer: turn.defer })
    source.push(credit(1, 10))
    source.end()
    expect(turn.pending()).toBe(0)
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
