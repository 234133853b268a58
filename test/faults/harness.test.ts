// The short fault run: 5 peers as real processes, a small workload, and a
// fixed seed whose schedule has each kind of fault once (SIGKILL of a peer, a
// partition, a SIGSTOP longer than the lease, SIGKILL of the whole cluster).
// The full run is `npm run test:faults` (test/faults/harness/run.ts).

import { describe, expect, it } from 'vitest'
import { runHarness } from './harness/harness.js'
import { violationDetails } from './harness/report.js'

/** kill p4; partition {p3}; pause p2; SIGKILL all (see makeSchedule). */
const SEED = 11

describe('fault run (short)', () => {
  it('survives a kill, a partition, a pause and a full restart with no violation', async () => {
    const run = await runHarness({
      seed: SEED,
      steps: 4,
      peers: 5,
      anyTasks: 200,
      allTasks: 20,
      actorMessages: 100,
      actorKeys: 10,
      leaseMs: 1_500,
      faultsForMs: 120_000,
      drainMs: 60_000,
      settleMs: 30_000,
      formMs: 60_000,
      keep: false,
      log: () => {},
    })
    process.stdout.write(`fault run, seed ${SEED}, ${Math.round(run.elapsedMs / 1000)} s:\n${run.table}\n${run.notes.map(n => `note: ${n}\n`).join('')}`)
    expect(violationDetails(run.result)).toBe('')
    expect(run.injected).toBe(4)
    expect(run.result.stats.faults).toMatchObject({ kill: 1, block: 1, pause: 1, 'stop-all': 1 })
    expect(run.result.stats.enqueuedAny).toBeGreaterThan(0)
    expect(run.result.stats.runs).toBeGreaterThanOrEqual(run.result.stats.enqueuedAny)
  }, 300_000)
})
