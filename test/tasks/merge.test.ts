import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonical, sameValue } from '../../src/tasks/canonical.js'
import { mergeChange, mergeRecords } from '../../src/tasks/merge.js'
import { newRecord } from '../../src/tasks/record.js'
import { RUNNER_GONE_CODE } from '../../src/tasks/constants.js'
import { cancelRecord, countGone, deleteRecord, retryRecord, startAttempt } from '../../src/tasks/transitions.js'
import { recordArb } from './arbitraries.js'

const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b)

describe('mergeRecords', () => {
  it('is commutative', () => {
    fc.assert(fc.property(recordArb, recordArb, (a, b) => same(mergeRecords(a, b), mergeRecords(b, a))), { numRuns: 2000 })
  })

  it('is associative', () => {
    fc.assert(fc.property(recordArb, recordArb, recordArb, (a, b, c) =>
      same(mergeRecords(mergeRecords(a, b), c), mergeRecords(a, mergeRecords(b, c)))), { numRuns: 2000 })
  })

  it('is idempotent', () => {
    fc.assert(fc.property(recordArb, recordArb, (a, b) => {
      const ab = mergeRecords(a, b)
      return same(mergeRecords(a, a), a) && same(mergeRecords(ab, b), ab) && same(mergeRecords(ab, a), ab)
    }), { numRuns: 1000 })
  })

  it('any delivery order of the same copies converges', () => {
    fc.assert(fc.property(fc.array(recordArb, { minLength: 1, maxLength: 6 }), fc.infiniteStream(fc.nat()), (copies, seeds) => {
      const shuffled = [...copies]
      const it = seeds[Symbol.iterator]()
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = (it.next().value as number) % (i + 1)
        ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
      }
      return same(copies.reduce(mergeRecords), shuffled.reduce(mergeRecords))
    }), { numRuns: 500 })
  })

  it('keeps every attempt and prefers the ended copy of one', () => {
    const base = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })
    const started = startAttempt(base, { self: 'a', now: 1 }, 'f1')
    const ended = { ...started.record, attempts: started.record.attempts.map(x => ({ ...x, endedAt: 2, outcome: 'ok' as const })) }
    const other = startAttempt(base, { self: 'b', now: 1 }, 'f2').record
    const merged = mergeRecords(mergeRecords(started.record, other), ended)
    expect(merged.attempts.map(x => [x.key, x.outcome])).toEqual([['a#0.1', 'ok'], ['b#0.1', undefined]])
  })

  it('prefers the runner\'s own end of an attempt over another peer\'s finding that its runner went away, in any order', () => {
    const base = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })
    const running = startAttempt(base, { self: 'a', now: 1 }, 'f1').record
    // a's partition moved: a ends its own attempt `lost` at 2 (not counted); b, the next holder, has not seen that yet at 3.
    const own = { ...running, attempts: running.attempts.map(x => ({ ...x, endedAt: 2, outcome: 'lost' as const, error: { name: 'PartitionLostError', message: 'this peer lost partition 0', code: 'ERR_PARTITION_LOST', retryable: true } })) }
    const found = startAttempt(running, { self: 'b', now: 3 }, 'f2', 3)
    expect(found.record.attempts[0]!.error?.code).toBe(RUNNER_GONE_CODE)
    for (const merged of [mergeRecords(own, found.record), mergeRecords(found.record, own)]) {
      expect(merged.attempts.map(x => [x.key, x.outcome, x.error?.code])).toEqual([['a#0.1', 'lost', 'ERR_PARTITION_LOST'], ['b#0.1', undefined, undefined]])
      expect(countGone(merged.attempts, undefined, 0)).toBe(0)
    }
  })

  it('finished beats unfinished of the same round; a retry round beats finished; a tombstone beats all', () => {
    const base = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })
    let running = startAttempt(base, { self: 'a', now: 1 }, 'f').record
    for (let i = 0; i < 5; i++) running = { ...running, version: running.version + 1 }
    const cancelled = cancelRecord(base, { self: 'b', now: 1 })
    expect(mergeRecords(running, cancelled).state).toBe('cancelled')
    const retried = retryRecord(cancelled, { self: 'c', now: 2 })
    expect(mergeRecords(mergeRecords(running, cancelled), retried).state).toBe('pending')
    expect(mergeRecords(retried, deleteRecord(base, { self: 'a', now: 3 })).deleted).toBe(true)
  })

  it('mergeChange is the merge when it changes the record, and undefined when it does not', () => {
    const attemptless = recordArb.map(r => ({ ...r, attempts: [] }))
    fc.assert(fc.property(fc.oneof(recordArb, attemptless), recordArb, (current, incoming) => {
      const merged = mergeRecords(current, incoming)
      const change = mergeChange(current, incoming)
      if (sameValue(merged, current)) expect(change).toBeUndefined()
      else expect(canonical(change)).toBe(canonical(merged))
    }), { numRuns: 3_000 })
    // The shortcut's case: our pending copy, its holder's finished one.
    const pending = newRecord({ id: 't', name: 'job', scope: 'any', partition: 0, input: { a: 1 }, priority: 0, runAt: 0, now: 0, self: 'a' })
    const running = startAttempt(pending, { self: 'b', now: 5 }, 'f').record
    expect(mergeChange(pending, running)).toBe(running)
    // Out of the merge's order: merged, not taken as it is.
    const twice = startAttempt(running, { self: 'c', now: 1 }, 'g').record
    expect(canonical(mergeChange(pending, twice))).toBe(canonical(mergeRecords(pending, twice)))
    expect(mergeChange(pending, twice)).not.toBe(twice)
  })

  it('refuses to merge two different tasks', () => {
    const a = newRecord({ id: 'x', name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })
    expect(() => mergeRecords(a, { ...a, id: 'y' })).toThrow(/different tasks/)
  })
})
