// Directed scenarios: each rule's reason to exist. With the rule the checker
// is silent; with the matching mutation (test-only knob) it reports.

import { describe, expect, it } from 'vitest'
import { directed, exposes } from './sim/directed.js'

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
