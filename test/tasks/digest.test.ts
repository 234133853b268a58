import fc from 'fast-check'
import { pack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { decodeGossip, encodeGossip, isTaskRecord } from '../../src/tasks/codec.js'
import { Digest, diffDigests, fingerprint, isDigestBody } from '../../src/tasks/digest.js'
import { newRecord } from '../../src/tasks/record.js'
import { recordArb } from './arbitraries.js'

describe('digests', () => {
  it('depend on the set of records, not the order they were added', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 20 }), (fps) => {
      const a = new Digest(4)
      const b = new Digest(4)
      fps.forEach(f => a.update(f % 4, undefined, f))
      ;[...fps].reverse().forEach(f => b.update(f % 4, undefined, f))
      return diffDigests(a.body(), b.body()).length === 0
    }))
  })

  it('show which partitions differ, and come back to equal after an update is undone', () => {
    const a = new Digest(8)
    const b = new Digest(8)
    a.update(3, undefined, 42)
    a.update(5, undefined, 7)
    expect(diffDigests(a.body(), b.body())).toEqual([3, 5])
    a.update(3, 42, 43)
    b.update(3, undefined, 43)
    a.update(5, 7, undefined)
    expect(diffDigests(a.body(), b.body())).toEqual([])
    expect(isDigestBody(a.body(), 8)).toBe(true)
    expect(isDigestBody(a.body(), 9)).toBe(false)
  })

  it('fingerprints ignore key order', () => {
    const r = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: { a: 1, b: 2 }, priority: 0, runAt: 0, now: 0, self: 'a' })
    const shuffled = Object.fromEntries(Object.entries({ ...r, input: { b: 2, a: 1 } }).reverse()) as unknown as typeof r
    expect(fingerprint(shuffled)).toBe(fingerprint(r))
  })
})

describe('the gossip codec', () => {
  it('round-trips records and accepts what it produced', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 5 }), (records) => {
      const body = decodeGossip(encodeGossip(records))
      expect(body?.records).toEqual(records)
      return body!.records.every(r => isTaskRecord(r, 1))
    }), { numRuns: 100 })
  })

  it('refuses malformed records and other versions', () => {
    const r = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })
    expect(isTaskRecord(r, 1)).toBe(true)
    expect(isTaskRecord({ ...r, partition: 1 }, 1)).toBe(false)
    expect(isTaskRecord({ ...r, state: 'weird' }, 1)).toBe(false)
    expect(isTaskRecord({ ...r, attempts: [{ key: 1 }] }, 1)).toBe(false)
    expect(decodeGossip(pack({ v: 2, records: [r] }))).toBeUndefined()
    expect(decodeGossip(pack('hello'))).toBeUndefined()
    expect(() => decodeGossip(new Uint8Array([0x90, 0x90]))).toThrow() // the service catches and logs
  })
})
