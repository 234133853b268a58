/* global console, performance, process */
// The due index's take in a backlog's pattern, in one process: TASKS "any" records put in creation order (as a bulk
// enqueue delivers them, all due, one priority), then taken 50 at a time (a runner's concurrency) until none is left.
// Prints per round the µs per task taken. With JUNK, that many small objects are allocated between takes, so the
// entries are scattered in memory as in a peer. Not part of `npm run bench`.
//
//   node test/bench/due-take.mjs
//
// Env: TASKS (20000), ROUNDS (6; the first warms up), JUNK (0).
import { DueIndex } from '../../dist/tasks/due.js'

const N = Number(process.env.TASKS ?? 20_000)
const ROUNDS = Number(process.env.ROUNDS ?? 6)
const JUNK = Number(process.env.JUNK ?? 0)

function round () {
  const index = new DueIndex()
  const now = Date.now()
  const junk = []
  for (let i = 0; i < N; i++) {
    const id = `t-${now.toString(36)}-${i.toString(36).padStart(8, '0')}`
    index.put({ id, scope: 'any', deleted: false, state: 'pending', priority: 0, runAt: now - 1000, createdAt: now - 1000 + (i >> 6), partition: i % 64 }, { now, held: true })
  }
  const ctx = { now, mono: 0, holds: () => true, current: r => r, judge: () => 'start' }
  const t0 = performance.now()
  let taken = 0
  for (;;) {
    const out = index.take(ctx, 50)
    if (out.length === 0) break
    taken += out.length
    for (let j = 0; j < JUNK; j++) junk.push({ j })
  }
  if (taken !== N) throw new Error(`took ${taken} of ${N}`)
  return (performance.now() - t0) * 1000 / N
}

for (let r = 0; r < ROUNDS; r++) console.log(JSON.stringify({ round: r + 1, usPerTake: +round().toFixed(3) }))
