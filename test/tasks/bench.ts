// Throughput of the task plane in one process: `npx tsx test/tasks/bench.ts`.
// Three peers over MemoryNetwork + MemoryBus + lmdb; N no-op "any" tasks.
import { z } from 'zod'
import { defineTask } from '../../src/tasks/define.js'
import { waitFor } from '../helpers/wait.js'
import { Cluster } from './harness.js'

async function run(n: number, concurrency: number): Promise<void> {
  let done = 0
  const c = await Cluster.start({
    definitions: () => [defineTask({ name: 'noop', scope: 'any', input: z.object({ n: z.number() }), run: () => { done++ } })],
    init: { concurrency },
  })
  const t0 = performance.now()
  await Promise.all(Array.from({ length: n }, (_, i) => c.service('abc'[i % 3]!).enqueue('noop', { n: i })))
  const t1 = performance.now()
  await waitFor('all run', () => done === n, 120_000, 5)
  const t2 = performance.now()
  console.log(`n=${n} concurrency=${concurrency}: enqueue ${(n / ((t1 - t0) / 1000)).toFixed(0)}/s, enqueue+drain ${(n / ((t2 - t0) / 1000)).toFixed(0)}/s`)
  await c.close()
}

for (const concurrency of [1, 8, 32]) await run(3000, concurrency)
