// Property runs for the fuzz suites: `npm test` runs them as written, `npm run test:fuzz` (FUZZ_SCALE=n) n times
// over, each run with a fresh random seed that a failure prints.

const SCALE_MAX = 1_000

function scale(): number {
  const raw = process.env.FUZZ_SCALE
  if (raw === undefined || raw === '') return 1
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > SCALE_MAX) throw new RangeError(`FUZZ_SCALE must be an integer from 1 to ${SCALE_MAX}, got ${JSON.stringify(raw)}`)
  return n
}

/** `runs` with every count multiplied by FUZZ_SCALE (default 1). */
export function fuzzRuns<K extends string>(runs: Record<K, number>): Record<K, number> {
  const n = scale()
  return Object.fromEntries(Object.entries<number>(runs).map(([k, v]) => [k, v * n])) as Record<K, number>
}
