// Random runs of the protocol as specified, second half of the seeds.

import { describe, expect, it } from 'vitest'
import { DURATION_SCALE, describeFailure, runBatch, SEEDS_PER_FILE } from './sim/batch.js'

describe(`random runs (seeds ${SEEDS_PER_FILE + 1}..${2 * SEEDS_PER_FILE})`, () => {
  it('no violation of I1/I2/I3 and every partition re-held after healing', () => {
    const s = runBatch(SEEDS_PER_FILE + 1, SEEDS_PER_FILE, { durationScale: DURATION_SCALE, stopAfter: 1 })
    expect(s.firstFailure ? describeFailure(s.firstFailure) : 'ok').toBe('ok')
    expect(s.runs).toBe(SEEDS_PER_FILE)
  }, 120_000)

  it('replays a seed exactly', () => {
    const a = runBatch(77, 1, { durationScale: DURATION_SCALE })
    const b = runBatch(77, 1, { durationScale: DURATION_SCALE })
    expect(a).toMatchObject({ runs: 1, violations: b.violations, maxRecoveredMs: b.maxRecoveredMs })
  })
})
