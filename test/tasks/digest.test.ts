import fc from 'fast-check'
import { pack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { checkRecords, decodeGossip, encodeGossip, isTaskRecord } from '../../src/tasks/codec.js'
import { compactRecords } from '../../src/tasks/compact.js'
import { SYNC_BUCKETS, WIRE_VERSION } from '../../src/tasks/constants.js'
import { bucketOf, Digest, diffDigests, fingerprint, isDigestBody } from '../../src/tasks/digest.js'
import { sameValue } from '../../src/tasks/canonical.js'
import { newRecord } from '../../src/tasks/record.js'
import { recordArb } from './arbitraries.js'

describe('digests', () => {
  it('depend on the set of records, not the order they were added', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { maxLength: 20 }), (fps) => {
      const a = new Digest(4)
      const b = new Digest(4)
      fps.forEach(f => a.update(f % 4, f % SYNC_BUCKETS, undefined, f))
      ;[...fps].reverse().forEach(f => b.update(f % 4, f % SYNC_BUCKETS, undefined, f))
      return diffDigests(a.body(), b.body()).length === 0
    }))
  })

  it('show which partitions differ, and come back to equal after an update is undone', () => {
    const a = new Digest(8)
    const b = new Digest(8)
    a.update(3, 9, undefined, 42)
    a.update(5, 0, undefined, 7)
    expect(diffDigests(a.body(), b.body())).toEqual([3, 5])
    expect(diffDigests(a.buckets(3), b.buckets(3))).toEqual([9])
    expect(diffDigests(a.buckets(4), b.buckets(4))).toEqual([])
    a.update(3, 9, 42, 43)
    b.update(3, 9, undefined, 43)
    a.update(5, 0, 7, undefined)
    expect(diffDigests(a.body(), b.body())).toEqual([])
    expect(diffDigests(a.buckets(3), b.buckets(3))).toEqual([])
    expect(isDigestBody(a.buckets(3), SYNC_BUCKETS)).toBe(true)
    expect(isDigestBody(a.body(), 8)).toBe(true)
    expect(isDigestBody(a.body(), 9)).toBe(false)
  })

  it('spread the ids of a partition over its buckets', () => {
    const counts = new Array<number>(SYNC_BUCKETS).fill(0)
    for (let i = 0; i < 64 * SYNC_BUCKETS; i++) counts[bucketOf(`t-1764385000000-${i.toString(16).padStart(16, '0')}`)]!++
    // 64 ids per bucket on average; a hash that put them all in a few buckets would fail this.
    expect(Math.min(...counts)).toBeGreaterThan(20)
    expect(Math.max(...counts)).toBeLessThan(120)
  })

  it('fingerprints ignore key order', () => {
    const r = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: { a: 1, b: 2 }, priority: 0, runAt: 0, now: 0, self: 'a' })
    const shuffled = Object.fromEntries(Object.entries({ ...r, input: { b: 2, a: 1 } }).reverse()) as unknown as typeof r
    expect(fingerprint(shuffled)).toBe(fingerprint(r))
  })

  it('fingerprints tell records apart exactly when their canonical forms differ', () => {
    fc.assert(fc.property(recordArb, recordArb, (a, b) => {
      expect(fingerprint(a) === fingerprint(b)).toBe(sameValue(a, b))
    }), { numRuns: 2_000 })
    const r = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: { a: 1 }, priority: 0, runAt: 0, now: 0, self: 'a' })
    // Each field counts, optional ones included, and an absent field is not its zero.
    for (const other of [{ ...r, input: { a: 2 } }, { ...r, timeoutMs: 0 }, { ...r, priority: 0.5 }, { ...r, error: { name: 'E', message: '', code: 'X', retryable: false } }, { ...r, deleted: true }]) {
      expect(fingerprint(other)).not.toBe(fingerprint(r))
    }
  })
})

describe('the gossip codec', () => {
  it('round-trips records and accepts what it produced', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 5 }), (records) => {
      const body = decodeGossip(encodeGossip(records))
      const { records: back, dropped } = checkRecords(body, 1)
      expect(back).toEqual(records)
      return dropped === 0
    }), { numRuns: 100 })
  })

  it('refuses malformed records and other versions', () => {
    const r = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })
    expect(isTaskRecord(r, 1)).toBe(true)
    expect(isTaskRecord({ ...r, partition: 1 }, 1)).toBe(false)
    expect(isTaskRecord({ ...r, state: 'weird' }, 1)).toBe(false)
    expect(isTaskRecord({ ...r, attempts: [{ key: 1 }] }, 1)).toBe(false)
    expect(decodeGossip(pack({ v: WIRE_VERSION + 1, ...compactRecords([r]) }))).toBeUndefined()
    expect(decodeGossip(pack({ v: WIRE_VERSION, records: [r] }))).toBeUndefined()
    expect(decodeGossip(pack('hello'))).toBeUndefined()
    expect(() => decodeGossip(new Uint8Array([0x90, 0x90]))).toThrow() // the service catches and logs
  })
})
