import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CronError, parseCron } from '../../src/tasks/cron.js'

const at = (iso: string): number => Date.parse(iso)
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString())

describe('parseCron', () => {
  it.each([
    ['* * * * *', '2026-03-01T10:15:30Z', '2026-03-01T10:16:00.000Z'],
    ['*/15 * * * *', '2026-03-01T10:15:00Z', '2026-03-01T10:30:00.000Z'],
    ['0 9 * * 1-5', '2026-11-27T09:00:00Z', '2026-11-30T09:00:00.000Z'], // Friday 9:00 -> Monday
    ['30 2 1 * *', '2026-01-31T00:00:00Z', '2026-02-01T02:30:00.000Z'],
    ['0 0 29 2 *', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 12 13 * 5', '2026-11-28T00:00:00Z', '2026-12-04T12:00:00.000Z'], // day 13 OR Friday
    ['0 0 * * 7', '2026-11-28T00:00:00Z', '2026-11-29T00:00:00.000Z'], // 7 is Sunday
    ['5,10-12 3 * * *', '2026-11-28T03:10:00Z', '2026-11-28T03:11:00.000Z'],
    ['0 10-20/5 * * *', '2026-11-28T15:00:00Z', '2026-11-28T20:00:00.000Z'],
    ['0 0 31 12 *', '2026-12-31T00:00:00Z', '2027-12-31T00:00:00.000Z'],
  ])('%s after %s is %s', (expr, after, next) => {
    expect(iso(parseCron(expr).next(at(after)))).toBe(next)
  })

  it('never fires for an impossible date', () => {
    expect(parseCron('0 0 30 2 *').next(0)).toBeUndefined()
  })

  it.each(['* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '* * * * 8', '*/0 * * * *', 'a * * * *', '5-1 * * * *', '1-2-3 * * * *', '1/2/3 * * * *', ',* * * * *'])('refuses %s', (expr) => {
    expect(() => parseCron(expr)).toThrow(CronError)
  })

  it('next is strictly later, on a whole minute, and matches when stepped by one minute', () => {
    const s = parseCron('*/7 1-3 * * *')
    fc.assert(fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (after) => {
      const n = s.next(after)!
      const d = new Date(n)
      return n > after && n % 60_000 === 0 && d.getUTCMinutes() % 7 === 0 && d.getUTCHours() >= 1 && d.getUTCHours() <= 3
        && (s.next(n - 60_000) === n)
    }))
  })
})
