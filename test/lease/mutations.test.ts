// Mutation controls: each deliberately broken variant (test-only knobs in
// the protocol options) must be caught. Three are caught by random runs
// within a few seeds; the two timing mutants hit a window of a few tens of
// milliseconds, which random runs find only about 3 times per 1000 seeds,
// so their directed scenarios (directed.test.ts) are the control, and the
// random rate is reported in docs/lease-protocol.md.

import { describe, expect, it } from 'vitest'
import { UNSAFE_NAMES, type UnsafeName } from '../../src/lease/index.js'
import { DURATION_SCALE, runBatch } from './sim/batch.js'
import { directed, exposes } from './sim/directed.js'

const byRandomRuns: UnsafeName[] = ['noRestartWait', 'viewQuorum', 'noFloorPersist']
const SEED_BUDGET = 300

describe.each(byRandomRuns)('mutation %s', (mutation) => {
  it(`is caught by random runs within ${SEED_BUDGET} seeds`, () => {
    const s = runBatch(1, SEED_BUDGET, { mutation, durationScale: DURATION_SCALE, stopAfter: 1 })
    expect(s.violations).toBe(1)
    expect(s.firstFailure!.violations[0]!.kind).not.toBe('liveness')
  }, 60_000)
})

describe('every mutation has a control', () => {
  it.each(UNSAFE_NAMES)('%s is exposed by a directed scenario', (mutation) => {
    const scenario = (Object.keys(exposes) as Array<keyof typeof exposes>).find((k) => exposes[k] === mutation)
    expect(scenario).toBeDefined()
    expect(directed[scenario!]({ [mutation]: true }).violations.length).toBeGreaterThan(0)
  })
})
