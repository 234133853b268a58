import { describe, expect, it } from 'vitest'
import { pickRunnable, type PickContext } from '../../src/tasks/pick.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { startAttempt } from '../../src/tasks/transitions.js'

const retry = { attempts: 2, backoffMs: 0, backoffFactor: 1, lostMax: 3 }
const rec = (id: string, o: Partial<TaskRecord> = {}): TaskRecord => ({
  ...newRecord({ id, name: 'job', scope: 'any', partition: 0, input: {}, priority: 0, runAt: 0, now: 0, self: 'a' }), ...o,
})
const ctx = (o: Partial<PickContext> = {}): PickContext => ({
  self: 'a', now: 100, holds: p => p === 0, running: new Set(), retryOf: n => (n === 'job' ? retry : undefined), ...o,
})

describe('pickRunnable', () => {
  it('orders due tasks by priority, then runAt, and wakes for the earliest future one', () => {
    const records = [rec('low', { runAt: 10 }), rec('high', { priority: 5, runAt: 50 }), rec('early', { runAt: 5 }), rec('later', { runAt: 300 }), rec('soon', { runAt: 200 })]
    const p = pickRunnable(records, ctx(), 10)
    expect(p.start.map(r => r.id)).toEqual(['high', 'early', 'low'])
    expect(p.wakeAt).toBe(200)
    expect(pickRunnable(records, ctx(), 1).start.map(r => r.id)).toEqual(['high'])
  })

  it('skips partitions not held, tasks running here, finished or unknown tasks', () => {
    const records = [
      rec('other', { partition: 1 }), rec('mine'), rec('done', { state: 'done' }), rec('gone', { deleted: true }),
      rec('unknown', { name: 'nope' }), rec('busy'),
    ]
    expect(pickRunnable(records, ctx({ running: new Set(['busy']) }), 10).start.map(r => r.id)).toEqual(['mine'])
  })

  it('restarts a running task that is not running here (its runner died or lost the partition)', () => {
    const running = startAttempt(rec('r'), { self: 'b', now: 1 }, 'f').record
    expect(pickRunnable([running], ctx(), 1).start.map(r => r.id)).toEqual(['r'])
  })

  it('runs an "all" task on every peer until its own attempts are final, honouring retryAt and expiry', () => {
    const all = rec('x', { scope: 'all', partition: 9, expiresAt: 1000 })
    expect(pickRunnable([all], ctx({ holds: () => false }), 1).start).toHaveLength(1)
    const s = startAttempt(all, { self: 'a', now: 1 }, undefined)
    const failed = { ...s.record, attempts: [{ ...s.attempt, endedAt: 2, outcome: 'error' as const, retryAt: 150 }] }
    expect(pickRunnable([failed], ctx(), 1)).toEqual({ start: [], wakeAt: 150 })
    expect(pickRunnable([failed], ctx({ now: 150 }), 1).start).toHaveLength(1)
    const exhausted = { ...failed, attempts: [...failed.attempts, { ...s.attempt, key: 'a#0.2', n: 2, endedAt: 3, outcome: 'error' as const }] }
    expect(pickRunnable([exhausted], ctx({ now: 500 }), 1).start).toEqual([])
    expect(pickRunnable([all], ctx({ now: 1000 }), 1).start).toEqual([])
    expect(pickRunnable([{ ...all, state: 'done' }], ctx({ self: 'late' }), 1).start).toHaveLength(1)
  })
})
