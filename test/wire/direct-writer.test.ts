// The direct writer: frames go into the muxed stream's `sendData`, in order,
// coalesced per tick, one send at a time, and the write end closes with a FIN
// (over real libp2p streams too, where libp2p's sink is the byte-stream adapter).

import type { Stream } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import { canSendDirectly, DirectWriter, type DataSendingStream } from '../../src/wire/direct-writer.js'
import { Outbox } from '../../src/wire/outbox.js'
import type { AbortOptions } from '../../src/util/abort.js'
import { connect, startNode, until } from './helpers.js'

const LIMITS = { outboundBytesMax: 1 << 20, outboundFramesMax: 1000 }

/** A stream that records what it is given; `hold` makes the next sendData wait (as yamux does when the window is used up). */
class FakeStream implements DataSendingStream {
  status = 'open'
  writeStatus = 'writing'
  sent: number[][] = []
  closedWrite = 0
  hold = false
  private release: (() => void) | undefined
  signals: AbortSignal[] = []

  sendData(data: Uint8ArrayList, options?: AbortOptions): void | Promise<void> {
    this.sent.push([...data.subarray()])
    if (options?.signal !== undefined) this.signals.push(options.signal)
    if (!this.hold) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.release = resolve
      options?.signal?.addEventListener('abort', () => { reject(new Error('aborted')) })
    })
  }

  async closeWrite(): Promise<void> {
    this.closedWrite++
    this.writeStatus = 'closed'
  }

  unhold(): void {
    this.hold = false
    this.release?.()
  }
}

function writer(stream: FakeStream) {
  const outbox = new Outbox(LIMITS)
  const events = { ended: 0, errors: [] as unknown[] }
  const w = new DirectWriter(stream, outbox, { onEnd: () => { events.ended++ }, onError: (err) => { events.errors.push(err) } })
  w.start()
  return { outbox, events, w }
}

const tick = () => new Promise<void>((resolve) => { setImmediate(resolve) })

describe('DirectWriter', () => {
  it('sends frames queued in one tick as one chunk, in order', async () => {
    const stream = new FakeStream()
    const { outbox } = writer(stream)
    outbox.push(Uint8Array.of(1))
    outbox.push(Uint8Array.of(2, 3))
    outbox.push(Uint8Array.of(4))
    expect(stream.sent).toEqual([])
    await tick()
    outbox.push(Uint8Array.of(5))
    await tick()
    expect(stream.sent).toEqual([[1, 2, 3, 4], [5]])
  })

  it('starts no second send while one waits for window; what is queued meanwhile follows in order', async () => {
    const stream = new FakeStream()
    const { outbox } = writer(stream)
    stream.hold = true
    outbox.push(Uint8Array.of(1))
    await tick()
    outbox.push(Uint8Array.of(2))
    await tick()
    outbox.push(Uint8Array.of(3))
    await tick()
    expect(stream.sent).toEqual([[1]])
    stream.unhold()
    await tick()
    expect(stream.sent).toEqual([[1], [2, 3]])
  })

  it('closes the write end only after everything queued is sent, then reports the end', async () => {
    const stream = new FakeStream()
    const { outbox, events } = writer(stream)
    stream.hold = true
    outbox.push(Uint8Array.of(1))
    await tick()
    outbox.push(Uint8Array.of(2))
    outbox.end()
    await tick()
    expect(stream.closedWrite).toBe(0)
    stream.unhold()
    await until(() => events.ended === 1)
    expect(stream.sent).toEqual([[1], [2]])
    expect(stream.closedWrite).toBe(1)
    expect(events.errors).toEqual([])
  })

  it('stop() gives up a send waiting for window and writes nothing more', async () => {
    const stream = new FakeStream()
    const { outbox, events, w } = writer(stream)
    stream.hold = true
    outbox.push(Uint8Array.of(1))
    await tick()
    w.stop()
    expect(stream.signals[0]?.aborted).toBe(true)
    outbox.push(Uint8Array.of(2))
    outbox.end()
    await tick()
    expect(stream.sent).toEqual([[1]])
    expect(stream.closedWrite).toBe(0)
    expect(events.ended).toBe(0)
  })

  it('fails instead of writing once the stream cannot be written (reset under it)', async () => {
    const stream = new FakeStream()
    const { outbox, events } = writer(stream)
    stream.status = 'reset'
    stream.writeStatus = 'closed'
    outbox.push(Uint8Array.of(1))
    await tick()
    expect(stream.sent).toEqual([])
    expect(events.errors).toHaveLength(1)
    expect(events.ended).toBe(0)
  })
})

describe('DirectWriter over libp2p streams', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  it('a negotiated yamux stream takes direct writes on both ends; the bytes arrive in order and the close is a FIN, not a reset', async () => {
    const [a, b] = await Promise.all([startNode(), startNode()])
    cleanups.push(async () => { await Promise.all([a.stop(), b.stop()]) })
    await connect(a, b)
    const protocol = '/troupe-test/direct/1'
    let inbound: Stream | undefined
    await b.handle(protocol, ({ stream }) => { inbound = stream })
    const outbound = await a.dialProtocol(b.peerId, protocol)
    await until(() => inbound !== undefined)
    // If a libp2p upgrade changes the streams it hands out, links fall back to the sink; this says so.
    expect(canSendDirectly(outbound)).toBe(true)
    expect(canSendDirectly(inbound)).toBe(true)

    const outbox = new Outbox(LIMITS)
    const events = { ended: 0, errors: [] as unknown[] }
    new DirectWriter(outbound as unknown as DataSendingStream, outbox, { onEnd: () => { events.ended++ }, onError: (err) => { events.errors.push(err) } }).start()
    const received: number[] = []
    const reading = (async () => { for await (const chunk of inbound!.source) received.push(...chunk.subarray()) })()
    const big = new Uint8Array(600 * 1024).map((_, i) => i % 251)
    outbox.push(Uint8Array.of(1, 2, 3))
    outbox.push(big) // more than yamux's initial 256 KiB window: the send waits for credit
    outbox.push(Uint8Array.of(4))
    outbox.end()
    await reading
    await until(() => events.ended === 1)
    expect(events.errors).toEqual([])
    expect(received.length).toBe(3 + big.length + 1)
    expect(received.slice(0, 3)).toEqual([1, 2, 3])
    expect(received[3 + 1000]).toBe(big[1000])
    expect(received.at(-1)).toBe(4)
    expect(inbound!.readStatus).toBe('closed')
    expect(inbound!.status).not.toBe('reset')
    expect(outbound.writeStatus).toBe('closed')
  })
})
