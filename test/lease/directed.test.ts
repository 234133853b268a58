// Directed scenarios: each rule's reason to exist. With the rule the checker
// is silent; with the matching mutation (test-only knob) it reports.

import { describe, expect, it } from 'vitest'
import { directed, exposes, stalePromise } from './sim/directed.js'
import { holdersOf } from './sim/scenario.js'

describe.each(Object.keys(directed) as Array<keyof typeof directed>)('scenario %s', (name) => {
  it('holds with the protocol as specified', () => {
    const { violations, world } = directed[name]()
    expect(violations).toEqual([])
    expect(world.checker.acquisitions).toBeGreaterThanOrEqual(2)
  })

  const mutation = exposes[name]
  if (mutation) {
    it(`is caught with the mutation ${mutation}`, () => {
      const { violations } = directed[name]({ [mutation]: true })
      expect(violations.length).toBeGreaterThan(0)
      expect(violations[0]!.kind).toBe(name === 'floorPersist' ? 'I2' : 'I1')
    })
  }
})

describe('scenario pausedHolder', () => {
  it('the fenced resource refuses the write that a paused holder sent before its pause', () => {
    const { world } = directed.pausedHolder()
    expect(world.checker.writesRejected).toBeGreaterThanOrEqual(1)
  })
})

describe('scenario stalePromise', () => {
  it('a holder whose renewals a voter refuses for a lower rank\'s promise takes the partition again within a round trip', () => {
    const { violations, world, firstHeldAt, longestGapMs, refused } = stalePromise()
    expect(violations).toEqual([])
    expect(firstHeldAt).toBeLessThan(1500)
    // The race was staged: the tenure ended on the refusal, not at its validUntil.
    expect(refused).toBe(1)
    // Lapsing instead left the partition with no holder for ~busyRetryMaxMs (300 ms here) or more.
    expect(longestGapMs).toBeLessThanOrEqual(50)
    expect(holdersOf(world, 0)).toHaveLength(1)
  })
})
