import { describe, expect, it } from 'vitest'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { cancelRecord, finishAttempt, retryDelayMs, settleAll, startAttempt } from '../../src/tasks/transitions.js'

const retry = { attempts: 3, backoffMs: 100, backoffFactor: 3 }
const make = (scope: 'any' | 'all' = 'any'): TaskRecord =>
  newRecord({ id: 't', name: 'job', scope, partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })

describe('record transitions', () => {
  it('computes backoff delays with a ceiling', () => {
    expect([1, 2, 3].map(n => retryDelayMs({ ...retry }, n))).toEqual([100, 300, 900])
    expect(retryDelayMs({ attempts: 99, backoffMs: 1000, backoffFactor: 10 }, 20)).toBe(3_600_000)
  })

  it('runs, fails with backoff, and fails for good after the last attempt', () => {
    let r = make()
    for (let i = 1; i <= 3; i++) {
      const s = startAttempt(r, { self: 'b', now: i * 1000 }, 'f')
      expect(s.record.state).toBe('running')
      r = finishAttempt(s.record, { self: 'b', now: i * 1000 + 1 }, { key: s.attempt.key, outcome: 'error', error: { name: 'E', message: `e${i}`, code: 'X', retryable: false }, retry, owner: true })
    }
    expect(r.state).toBe('failed')
    expect(r.error?.message).toBe('e3')
    expect(r.attempts.map(a => a.key)).toEqual(['b#0.1', 'b#0.2', 'b#0.3'])
  })

  it('sets the next runAt from the backoff after a failure', () => {
    const s = startAttempt(make(), { self: 'b', now: 1000 }, 'f')
    const r = finishAttempt(s.record, { self: 'b', now: 1500 }, { key: s.attempt.key, outcome: 'timeout', retry, owner: true })
    expect([r.state, r.runAt]).toEqual(['pending', 1600])
  })

  it('a peer that lost its partition only records a failed attempt, but finishes a task its handler completed', () => {
    const s = startAttempt(make(), { self: 'b', now: 1 }, 'f1')
    const failed = finishAttempt(s.record, { self: 'b', now: 2 }, { key: s.attempt.key, outcome: 'error', retry, owner: false })
    expect(failed.state).toBe('running')
    expect(failed.version).toBe(s.record.version)
    expect(failed.attempts[0]?.outcome).toBe('error')
    // The work is done: leaving the task open would only run it again under the next tenure.
    const ok = finishAttempt(s.record, { self: 'b', now: 2 }, { key: s.attempt.key, outcome: 'ok', retry, owner: false })
    expect(ok.state).toBe('done')
    expect(ok.attempts[0]?.outcome).toBe('ok')
  })

  it('a new holder marks the dead holder\'s attempt lost; lost attempts do not count against retries', () => {
    const first = startAttempt(make(), { self: 'b', now: 1 }, 'f1')
    const second = startAttempt(first.record, { self: 'c', now: 2 }, 'f2')
    expect(second.record.attempts.map(a => [a.peer, a.outcome])).toEqual([['b', 'lost'], ['c', undefined]])
    const r = finishAttempt(second.record, { self: 'c', now: 3 }, { key: second.attempt.key, outcome: 'error', retry: { attempts: 2, backoffMs: 0, backoffFactor: 1 }, owner: true })
    expect(r.state).toBe('pending')
  })

  it('does not overwrite a cancellation with the outcome of the aborted attempt', () => {
    const s = startAttempt(make(), { self: 'b', now: 1 }, 'f')
    const cancelled = cancelRecord(s.record, { self: 'a', now: 2 })
    const r = finishAttempt(cancelled, { self: 'b', now: 3 }, { key: s.attempt.key, outcome: 'cancelled', retry, owner: true })
    expect(r.state).toBe('cancelled')
    expect(r.attempts[0]?.outcome).toBe('cancelled')
  })

  it('an "all" task is done once every member succeeded, failed once all are final and one failed', () => {
    let r = make('all')
    const one = { attempts: 1, backoffMs: 0, backoffFactor: 1 }
    for (const [peer, outcome] of [['a', 'ok'], ['b', 'ok']] as const) {
      const s = startAttempt(r, { self: peer, now: 1 }, undefined)
      r = finishAttempt(s.record, { self: peer, now: 2 }, { key: s.attempt.key, outcome, retry: one, members: ['a', 'b', 'c'], owner: true })
    }
    expect(r.state).toBe('pending')
    expect(settleAll(r, { self: 'a', now: 3 }, one, ['a', 'b'])).toMatchObject({ state: 'done' })
    // Whoever settles it, whenever: the same record, so peers' copies merge into nothing new.
    expect(settleAll(r, { self: 'b', now: 9 }, one, ['a', 'b'])).toEqual(settleAll(r, { self: 'a', now: 3 }, one, ['a', 'b']))
    expect(settleAll(r, { self: 'b', now: 9 }, one, ['a', 'b'])).toMatchObject({ writer: r.creator, updatedAt: 2, version: r.version + 1 })
    const s = startAttempt(r, { self: 'c', now: 4 }, undefined)
    r = finishAttempt(s.record, { self: 'c', now: 5 }, { key: s.attempt.key, outcome: 'error', retry: one, members: ['a', 'b', 'c'], owner: true })
    expect(r.state).toBe('failed')
  })

  it('an "all" attempt that fails with attempts left sets this peer\'s retryAt', () => {
    const s = startAttempt(make('all'), { self: 'a', now: 10 }, undefined)
    const r = finishAttempt(s.record, { self: 'a', now: 20 }, { key: s.attempt.key, outcome: 'error', retry, owner: true })
    expect(r.attempts[0]?.retryAt).toBe(120)
    expect(r.state).toBe('pending')
  })
})
