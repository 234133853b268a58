import { describe, expect, it } from 'vitest'
import { fastMessageId, messageIdString } from '../../src/net/gossip-id.js'

const msg = (from: number[] | undefined, seqno: number[] | undefined, data: number[] = [1, 2, 3]): Parameters<typeof fastMessageId>[0] => ({
  topic: 't', from: from === undefined ? undefined : Uint8Array.from(from), seqno: seqno === undefined ? undefined : Uint8Array.from(seqno), data: Uint8Array.from(data),
})

describe('fastMessageId', () => {
  it('names a message by author and sequence number, so every copy of it gets the same id', () => {
    expect(fastMessageId(msg([0xab, 0x01], [0, 0, 0, 7]))).toBe('ab01:00000007')
    expect(fastMessageId(msg([0xab, 0x01], [0, 0, 0, 7], [9]))).toBe(fastMessageId(msg([0xab, 0x01], [0, 0, 0, 7])))
  })

  it('tells apart messages of other authors or sequence numbers', () => {
    const ids = new Set([msg([1], [1]), msg([1], [2]), msg([2], [1]), msg([1, 1], [])].map(fastMessageId))
    expect(ids.size).toBe(4)
  })

  it('reads bytes that are a view into a larger buffer', () => {
    const buf = Uint8Array.from([0xff, 0x12, 0x34, 0xff])
    expect(fastMessageId({ topic: 't', from: buf.subarray(1, 3), seqno: buf.subarray(3) })).toBe('1234:ff')
  })

  it('gives an unsigned message (no author or no seqno) the empty id, which gossipsub never records: StrictSign rejects it', () => {
    expect(fastMessageId(msg(undefined, [1]))).toBe('')
    expect(fastMessageId(msg([1], undefined))).toBe('')
  })
})

describe('messageIdString', () => {
  it('gives each message id its own string, the same for equal bytes wherever they lie', () => {
    const buf = Uint8Array.from([9, 1, 2, 3, 9])
    expect(messageIdString(buf.subarray(1, 4))).toBe(messageIdString(Uint8Array.from([1, 2, 3])))
    const ids = [[], [0], [0, 0], [1], [255, 0], [0, 255], [1, 2, 3]].map(b => messageIdString(Uint8Array.from(b)))
    expect(new Set(ids).size).toBe(ids.length)
  })
})
