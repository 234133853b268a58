/* global process, console */
// One BullMQ worker process (no-op processor). Env: REDIS_PORT, QUEUE, CONCURRENCY.
// Counts completions and reports the start latency of jobs that carry t0.
import { Worker } from 'bullmq'
import { serve } from './lib/proc.mjs'
import { nowMs } from './lib/stats.mjs'

const connection = { host: '127.0.0.1', port: Number(process.env.REDIS_PORT), maxRetriesPerRequest: null }
const ran = new Map()
let worker

function start (queue, concurrency, autorun = true) {
  worker = new Worker(queue, async job => {
    if (job.data.t0 !== undefined) process.send({ type: 'started', id: job.id, ms: nowMs() - job.data.t0 })
    else ran.set(job.id, (ran.get(job.id) ?? 0) + 1)
    return 1
  }, { connection, concurrency, autorun })
  return worker.waitUntilReady()
}

serve({
  start: async ({ queue, concurrency, autorun }) => { await start(queue, concurrency, autorun); return true },
  // A worker started with autorun false begins taking jobs here (as the baseline's workers do on 'go').
  run: () => { worker.run().catch(err => console.error('[bullmq-worker] run', err.message)); return true },
  close: async () => { await worker?.close(); worker = undefined; return true },
  ranIds: () => [...ran.entries()],
  resetRan: () => { ran.clear(); return true },
})
process.once('SIGTERM', () => { Promise.resolve(worker?.close()).finally(() => process.exit(0)) })
process.send({ type: 'ready' })
