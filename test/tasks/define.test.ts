import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConfigError } from '../../src/errors.js'
import { defineTask } from '../../src/tasks/define.js'

const base = { name: 'job', scope: 'any' as const, input: z.object({}), run: () => {} }

describe('defineTask', () => {
  it('fills defaults and freezes', () => {
    const t = defineTask(base)
    expect(t.retry).toEqual({ attempts: 1, backoffMs: 0, backoffFactor: 2, lostMax: 3 })
    expect(defineTask({ ...base, retry: { attempts: 2, backoffMs: 5, lostMax: 0 } }).retry).toEqual({ attempts: 2, backoffMs: 5, backoffFactor: 2, lostMax: 0 })
    expect(t.priority).toBe(0)
    expect(t.periodicInput).toEqual({})
    expect(Object.isFrozen(t)).toBe(true)
  })

  it('parses a cron schedule', () => {
    expect(defineTask({ ...base, cron: '0 * * * *' }).cron?.next(0)).toBe(3_600_000)
  })

  it.each([
    [{ name: 'has space' }, /invalid task name/],
    [{ name: '' }, /invalid task name/],
    [{ scope: 'some' }, /scope must be "any" or "all"/],
    [{ input: {} }, /Standard Schema/],
    [{ run: 1 }, /run must be a function/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ frequencyMs: 10 }, /frequencyMs must be an integer >= 50/],
    [{ retry: { attempts: 0, backoffMs: 0 } }, /retry.attempts/],
    [{ retry: { attempts: 101, backoffMs: 0 } }, /retry.attempts must be an integer from 1 .* to 100 \(RETRY_ATTEMPTS_MAX\)/],
    [{ retry: { attempts: 2, backoffMs: -1 } }, /retry.backoffMs/],
    [{ retry: { attempts: 2, backoffMs: 1, backoffFactor: 0.5 } }, /retry.backoffFactor/],
    [{ retry: { attempts: 2, backoffMs: 1, lostMax: -1 } }, /retry.lostMax must be an integer from 0 to 100/],
    [{ retry: { attempts: 2, backoffMs: 1, lostMax: 1.5 } }, /retry.lostMax/],
    [{ retry: { attempts: 2, backoffMs: 1, lostMax: 101 } }, /retry.lostMax/],
    [{ cron: '* * * *' }, /must have 5 fields/],
    [{ cron: '* * * * *', frequencyMs: 1000 }, /not both/],
    [{ priority: Number.NaN }, /priority/],
  ])('refuses %j', (patch, message) => {
    const attempt = (): unknown => defineTask({ ...base, ...patch } as never)
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(message)
  })
})
