import { describe, expect, it } from 'vitest'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { cancelRecord, finishAttempt, peerStatus, retryDelayMs, retryRecord, settleAll, startAttempt } from '../../src/tasks/transitions.js'
import { mergeRecords } from '../../src/tasks/merge.js'
import { RUNNER_GONE_CODE, TASK_LOST_TOO_OFTEN_CODE } from '../../src/tasks/constants.js'

const retry = { attempts: 3, backoffMs: 100, backoffFactor: 3, lostMax: 3 }
const make = (scope: 'any' | 'all' = 'any'): TaskRecord =>
  newRecord({ id: 't', name: 'job', scope, partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' })

describe('record transitions', () => {
  it('computes backoff delays with a ceiling', () => {
    expect([1, 2, 3].map(n => retryDelayMs({ ...retry }, n))).toEqual([100, 300, 900])
    expect(retryDelayMs({ attempts: 99, backoffMs: 1000, backoffFactor: 10, lostMax: 3 }, 20)).toBe(3_600_000)
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
    const r = finishAttempt(second.record, { self: 'c', now: 3 }, { key: second.attempt.key, outcome: 'error', retry: { attempts: 2, backoffMs: 0, backoffFactor: 1, lostMax: 3 }, owner: true })
    expect(r.state).toBe('pending')
  })

  it('fails an "any" task, instead of starting it, once more than lostMax of its attempts lost their runner mid-run', () => {
    let r = make()
    const peers = ['b', 'c', 'd', 'e']
    for (const [i, peer] of peers.entries()) {
      const s = startAttempt(r, { self: peer, now: i + 1 }, `f${i}`, 2)
      if (i < 3) {
        // The 1st..3rd start find 0, 1 and 2 runners gone: at most lostMax (2), so the task runs again.
        expect(s.attempt?.peer).toBe(peer)
        expect(s.record.state).toBe('running')
        r = s.record
        continue
      }
      // The 4th finds 3 gone: it starts nothing and the task fails, saying why.
      expect(s.attempt).toBeUndefined()
      expect(s.record.state).toBe('failed')
      expect(s.record.error?.code).toBe(TASK_LOST_TOO_OFTEN_CODE)
      expect(s.record.error?.message).toContain('3 attempts of round 0 lost their runner')
      expect(s.record.version).toBe(r.version + 1)
      expect(s.record.attempts.map(a => [a.peer, a.outcome, a.error?.code])).toEqual([
        ['b', 'lost', RUNNER_GONE_CODE], ['c', 'lost', RUNNER_GONE_CODE], ['d', 'lost', RUNNER_GONE_CODE],
      ])
    }
  })

  it('counts only attempts found unended: attempts whose runner ended them itself (lost partition, stop) never count', () => {
    let r = make()
    for (let i = 0; i < 5; i++) {
      const s = startAttempt(r, { self: 'b', now: i * 10 + 1 }, `f${i}`, 0)
      expect(s.attempt).toBeDefined()
      r = finishAttempt(s.record, { self: 'b', now: i * 10 + 2 }, { key: s.attempt!.key, outcome: i % 2 === 0 ? 'lost' : 'aborted', retry, owner: false })
    }
    expect(startAttempt(r, { self: 'c', now: 100 }, 'f9', 0).attempt?.peer).toBe('c')
    // lostMax 0: the first runner gone fails the task at the next start.
    const running = startAttempt(r, { self: 'c', now: 100 }, 'f9', 0).record
    expect(startAttempt(running, { self: 'd', now: 200 }, 'f10', 0).record.state).toBe('failed')
  })

  it('a retry starts a new round, and the count of runners gone again', () => {
    const first = startAttempt(make(), { self: 'b', now: 1 }, 'f1', 0)
    const failed = startAttempt(first.record, { self: 'c', now: 2 }, 'f2', 0).record
    expect(failed.state).toBe('failed')
    const again = startAttempt(retryRecord(failed, { self: 'a', now: 3 }), { self: 'c', now: 4 }, 'f3', 0)
    expect(again.attempt?.round).toBe(1)
    expect(again.record.state).toBe('running')
  })

  it('an "all" peer that keeps stopping mid-run gives up its own share; the others are not affected', () => {
    const all = make('all')
    let r = all
    for (let i = 0; i < 2; i++) r = startAttempt(r, { self: 'b', now: i + 1 }, undefined, 1).record
    // b's second start found its first attempt unended (1 gone, lostMax 1): it ran again. Its third finds 2.
    const third = startAttempt(r, { self: 'b', now: 10 }, undefined, 1)
    expect(third.attempt).toBeUndefined()
    expect(third.error?.code).toBe(TASK_LOST_TOO_OFTEN_CODE)
    expect(third.record.state).toBe('pending')
    const bRetry = { ...retry, lostMax: 1 }
    expect(peerStatus(third.record, 'b', bRetry)).toBe('failed')
    // c's attempts are its own: unended b attempts are not c's to mark.
    const c = startAttempt(r, { self: 'c', now: 11 }, undefined, 1)
    expect(c.attempt?.peer).toBe('c')
    expect(c.record.attempts.filter(a => a.peer === 'b' && a.endedAt === undefined)).toHaveLength(1)
    // Once c succeeds, the record settles failed (b ran out), as when b's attempts all failed.
    const cDone = finishAttempt(mergeRecords(third.record, c.record), { self: 'c', now: 12 }, { key: c.attempt!.key, outcome: 'ok', retry: bRetry, members: ['b', 'c'], owner: true })
    expect(settleAll(cDone, { self: 'c', now: 13 }, bRetry, ['b', 'c']).state).toBe('failed')
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
    const one = { attempts: 1, backoffMs: 0, backoffFactor: 1, lostMax: 3 }
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
