// Runs many seeds and summarises: used by the vitest suites and the CLI.

import type { UnsafeName } from '../../../src/lease/index.js'
import { runSeed, type RunResult } from './swarm.js'

/** Seeds per vitest file (two files run in parallel) and the fault-phase scale used in CI. */
export const SEEDS_PER_FILE = 1000
export const DURATION_SCALE = 0.6

export interface BatchSummary {
  runs: number
  violations: number
  failedSeeds: number[]
  byKind: Record<string, number>
  firstFailure?: RunResult
  elapsedMs: number
  maxRecoveredMs: number
}

export function runBatch(first: number, count: number, opts: { mutation?: UnsafeName, durationScale?: number, stopAfter?: number } = {}): BatchSummary {
  const t0 = performance.now()
  const out: BatchSummary = { runs: 0, violations: 0, failedSeeds: [], byKind: {}, elapsedMs: 0, maxRecoveredMs: 0 }
  for (let seed = first; seed < first + count; seed++) {
    const r = runSeed(seed, { durationScale: opts.durationScale, unsafe: opts.mutation ? { [opts.mutation]: true } : undefined })
    out.runs++
    out.maxRecoveredMs = Math.max(out.maxRecoveredMs, r.recoveredMs)
    if (r.violations.length > 0) {
      out.violations++
      out.failedSeeds.push(seed)
      const kind = r.violations[0]!.kind
      out.byKind[kind] = (out.byKind[kind] ?? 0) + 1
      out.firstFailure ??= r
      if (opts.stopAfter !== undefined && out.violations >= opts.stopAfter) break
    }
  }
  out.elapsedMs = performance.now() - t0
  return out
}

/** One line per failure, enough to replay: seed, knobs, first violation, and the command. */
export function describeFailure(r: RunResult, mutation?: string): string {
  const m = mutation ? ` --mutation ${mutation}` : ''
  return `seed ${r.seed}: ${JSON.stringify(r.violations[0])}\n  knobs ${JSON.stringify(r.knobs)}\n  replay: npm run sim -- --seed ${r.seed}${m}`
}
