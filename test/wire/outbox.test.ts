import { describe, expect, it } from 'vitest'
import { BackpressureError } from '../../src/wire/errors.js'
import { Outbox } from '../../src/wire/outbox.js'

describe('Outbox', () => {
  it('coalesces frames queued in one tick into one chunk', async () => {
    const box = new Outbox({ outboundBytesMax: 1024, outboundFramesMax: 16 })
    const source = box.source()
    const next = source.next()
    box.push(new Uint8Array([1]))
    box.push(new Uint8Array([2, 3]))
    box.push(new Uint8Array([4]))
    expect((await next).value).toEqual(new Uint8Array([1, 2, 3, 4]))
    box.end()
    expect((await source.next()).done).toBe(true)
  })

  it('refuses frames past either limit, then accepts again once drained', async () => {
    const byFrames = new Outbox({ outboundBytesMax: 1024, outboundFramesMax: 2 })
    byFrames.push(new Uint8Array(1))
    byFrames.push(new Uint8Array(1))
    expect(() => byFrames.push(new Uint8Array(1))).toThrow(BackpressureError)
    await byFrames.source().next()
    expect(() => byFrames.push(new Uint8Array(1))).not.toThrow()

    const byBytes = new Outbox({ outboundBytesMax: 10, outboundFramesMax: 100 })
    byBytes.push(new Uint8Array(8))
    expect(() => byBytes.push(new Uint8Array(3))).toThrow(BackpressureError)
  })

  it('flushes what is queued before ending', async () => {
    const box = new Outbox({ outboundBytesMax: 1024, outboundFramesMax: 16 })
    box.push(new Uint8Array([9]))
    box.end()
    const chunks: Uint8Array[] = []
    for await (const c of box.source()) chunks.push(c)
    expect(chunks).toEqual([new Uint8Array([9])])
  })
})
