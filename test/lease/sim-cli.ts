// npm run sim -- --seeds 100000 [--first N] [--seed N] [--mutation name] [--scale 0.6] [--trace]
// Runs many seeds of the lease simulator and prints a summary. --seed
// replays one seed (with --trace, prints its event log).

import { UNSAFE_NAMES, type UnsafeName } from '../../src/lease/index.js'
import { describeFailure, runBatch } from './sim/batch.js'
import { runSeed } from './sim/swarm.js'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function num(name: string, fallback: number): number {
  const v = arg(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`--${name} takes a number, got ${v}`)
  return n
}

function main(): number {
  const mutation = arg('mutation') as UnsafeName | undefined
  if (mutation !== undefined && !UNSAFE_NAMES.includes(mutation)) {
    console.error(`unknown mutation ${mutation}; one of ${UNSAFE_NAMES.join(', ')}`)
    return 2
  }
  const scale = num('scale', 1)
  const single = arg('seed')
  if (single !== undefined) {
    const r = runSeed(Number(single), { unsafe: mutation ? { [mutation]: true } : undefined, durationScale: scale, trace: process.argv.includes('--trace') })
    if (r.log.length > 0) console.log(r.log.join('\n'))
    console.log(JSON.stringify({ seed: r.seed, knobs: r.knobs, violations: r.violations, acquisitions: r.acquisitions, writes: r.writes, messages: r.messages, recoveredMs: r.recoveredMs }, null, 2))
    return r.violations.length > 0 ? 1 : 0
  }
  const seeds = num('seeds', 1000)
  const first = num('first', 1)
  const s = runBatch(first, seeds, { mutation, durationScale: scale })
  console.log(`mutation:    ${mutation ?? 'none (protocol as specified)'}`)
  console.log(`runs:        ${s.runs} (seeds ${first}..${first + s.runs - 1}, scale ${scale})`)
  console.log(`violations:  ${s.violations} ${JSON.stringify(s.byKind)}`)
  console.log(`failed:      ${s.failedSeeds.slice(0, 30).join(' ')}${s.failedSeeds.length > 30 ? ' ...' : ''}`)
  console.log(`recovery:    every partition re-held within ${s.maxRecoveredMs} ms of healing (worst run)`)
  console.log(`elapsed:     ${(s.elapsedMs / 1000).toFixed(1)} s (${(s.elapsedMs / s.runs).toFixed(1)} ms/run)`)
  if (s.firstFailure) console.log(`first failure:\n${describeFailure(s.firstFailure, mutation)}`)
  return s.violations > 0 ? 1 : 0
}

process.exitCode = main()
