// `npm run test:faults` (tsx test/faults/harness/run.ts [flags]): the full fault
// run, minutes long and bounded. Prints the seed first (replay with --seed N),
// the steps as they happen, and the summary table; exits 1 on any violation.
// Needs `npm run build` first (peers start through dist/cli/main.js).

import { parseArgs } from 'node:util'
import { runHarness, type HarnessOptions } from './harness.js'
import { violationDetails } from './report.js'

const FULL: Omit<HarnessOptions, 'seed' | 'log' | 'keep'> = {
  steps: 14,
  peers: 5,
  anyTasks: 4_000,
  allTasks: 300,
  actorMessages: 1_500,
  actorKeys: 40,
  leaseMs: 1_500,
  faultsForMs: 5 * 60_000,
  drainMs: 120_000,
  settleMs: 90_000,
  formMs: 60_000,
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      steps: { type: 'string' },
      any: { type: 'string' },
      all: { type: 'string' },
      actor: { type: 'string' },
      minutes: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'log-level': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help === true) {
    process.stdout.write('usage: tsx test/faults/harness/run.ts [--seed N] [--steps N] [--any N] [--all N] [--actor N] [--minutes M] [--keep] [--log-level debug]\n')
    return 0
  }
  const num = (v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new Error(`expected a number, got ${v}`)
    return n
  }
  const seed = Math.trunc(num(values.seed, Math.floor(Math.random() * 2 ** 31)))
  const result = await runHarness({
    ...FULL,
    seed,
    steps: num(values.steps, FULL.steps),
    anyTasks: num(values.any, FULL.anyTasks),
    allTasks: num(values.all, FULL.allTasks),
    actorMessages: num(values.actor, FULL.actorMessages),
    faultsForMs: num(values.minutes, FULL.faultsForMs / 60_000) * 60_000,
    keep: values.keep === true,
    logLevel: values['log-level'],
    log: line => { process.stdout.write(`${line}\n`) },
  })
  process.stdout.write(`\nseed ${seed}: ${result.injected} fault steps in ${(result.elapsedMs / 1000).toFixed(0)} s\n\n${result.table}\n`)
  for (const note of result.notes) process.stdout.write(`note: ${note}\n`)
  if (result.result.violations.length > 0) {
    process.stdout.write(`\n${result.result.violations.length} violation(s); replay with --seed ${seed}; run folder kept: ${result.dir}\n${violationDetails(result.result)}\n`)
    return 1
  }
  process.stdout.write('\nno violations\n')
  return 0
}

main().then(code => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`fault run failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exitCode = 2
})
