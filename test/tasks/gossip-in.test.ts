// The verdict on one inbound gossip message, before anything is merged:
// reject what no honest peer sends, ignore what an honest peer may send.
import fc from 'fast-check'
import { pack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { encodeGossip } from '../../src/tasks/codec.js'
import { compactRecords } from '../../src/tasks/compact.js'
import { WIRE_VERSION } from '../../src/tasks/constants.js'
import { judgeGossip } from '../../src/tasks/gossip-in.js'
import { newRecord } from '../../src/tasks/record.js'

const ctx = { partitions: 8, members: () => ['a', 'b'] }
const record = newRecord({ id: 't', name: 'job', scope: 'any', partition: 3, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })

describe('judgeGossip', () => {
  it('accepts valid records from members, author and forwarder alike', () => {
    expect(judgeGossip(encodeGossip([record]), 'a', 'b', ctx)).toEqual({ verdict: 'accept', records: [record] })
  })

  it('rejects garbage, bodies of the wrong shape and any invalid record', () => {
    expect(judgeGossip(new Uint8Array([0xc1]), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'malformed' })
    expect(judgeGossip(pack('hello'), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'malformed' })
    expect(judgeGossip(pack({ v: 'one', records: [] }), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'malformed' })
    expect(judgeGossip(pack({ v: WIRE_VERSION, peers: [], records: 'x' }), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'malformed' })
    expect(judgeGossip(pack({ v: WIRE_VERSION, records: [] }), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'malformed' })
    const good = compactRecords([record])
    expect(judgeGossip(pack({ v: WIRE_VERSION, peers: good.peers, records: [...good.records, ['half']] }), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'invalid-record' })
    // A tuple naming a peer the table lacks, or a record as a plain map (the encoding of wire version 1).
    expect(judgeGossip(pack({ v: WIRE_VERSION, peers: [], records: good.records }), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'invalid-record' })
    expect(judgeGossip(pack({ v: WIRE_VERSION, peers: good.peers, records: [record] }), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'invalid-record' })
    expect(judgeGossip(encodeGossip([{ ...record, partition: 8 }]), 'a', 'a', ctx)).toEqual({ verdict: 'reject', reason: 'invalid-record' })
  })

  it('rejects invalid content even from a non-member, and ignores valid content from one', () => {
    expect(judgeGossip(new Uint8Array([0xc1]), 'stranger', 'stranger', ctx).verdict).toBe('reject')
    expect(judgeGossip(encodeGossip([record]), 'stranger', 'a', ctx)).toEqual({ verdict: 'ignore', reason: 'not-member' })
    expect(judgeGossip(encodeGossip([record]), 'a', 'stranger', ctx)).toEqual({ verdict: 'ignore', reason: 'not-member' })
  })

  it('ignores a body of another wire version (a rolling upgrade), whatever it holds', () => {
    expect(judgeGossip(pack({ v: WIRE_VERSION + 1, records: 'a new shape' }), 'a', 'a', ctx)).toEqual({ verdict: 'ignore', reason: 'version' })
    expect(judgeGossip(pack({ v: WIRE_VERSION - 1, records: [record] }), 'a', 'a', ctx)).toEqual({ verdict: 'ignore', reason: 'version' })
  })

  it('never throws, whatever the bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => ['accept', 'ignore', 'reject'].includes(judgeGossip(bytes, 'a', 'a', ctx).verdict)))
  })
})
