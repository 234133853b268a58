// Random runs of the protocol as specified, first half of the seeds. A
// failure prints the seed, the knobs and the replay command.

import { describe, expect, it } from 'vitest'
import { DURATION_SCALE, describeFailure, runBatch, SEEDS_PER_FILE } from './sim/batch.js'

describe('random runs (seeds 1..1000)', () => {
  it('no violation of I1/I2/I3 and every partition re-held after healing', () => {
    const s = runBatch(1, SEEDS_PER_FILE, { durationScale: DURATION_SCALE, stopAfter: 1 })
    expect(s.firstFailure ? describeFailure(s.firstFailure) : 'ok').toBe('ok')
    expect(s.runs).toBe(SEEDS_PER_FILE)
  }, 120_000)
})
