/* global process, console, setTimeout, clearTimeout */
// What single "any" tasks allocate on 3 peers (3 processes), as the tasks pair's latency blocks send them: one at a
// time, each enqueued on the next peer and awaited until its handler starts, 2 ms apart. A sampling allocation
// profile of each peer over the N tasks (collected objects included: what the young generation's GC works through),
// written to OUT as p<i>.heapprofile; prints the wall time and each peer's heap growth. Not part of `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/single-alloc.mjs
//
// Env: N (600), OUT (/tmp/single-alloc), IDLE_MS (0: an idle stretch profiled first, for what idle peers allocate).
// Session 21: 195-202 MB over the 3 peers for 600 tasks, 178-182 MB once gossipsub's message ids and authors were named
// without multiformats' encoders (docs/performance.md).
import { mkdirSync } from 'node:fs'
import { startCluster, waitStable } from './lib/cluster.mjs'
import { watchdog } from './lib/proc.mjs'
import { sleep } from './lib/stats.mjs'

const N = Number(process.env.N ?? 600)
const OUT = process.env.OUT ?? '/tmp/single-alloc'
/** A task not started in this long is counted missing. */
const START_TIMEOUT_MS = 5_000
watchdog(120_000 + N * 50, 'single-alloc')
mkdirSync(OUT, { recursive: true })
const cluster = await startCluster(3, { tasks: { concurrency: 50 } })
const peers = cluster.peers
await waitStable(cluster)
const started = () => new Promise(resolve => {
  const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS)
  for (const p of peers) p.on('started', () => { clearTimeout(timer); resolve(true) })
})
const heap0 = await Promise.all(peers.map(p => p.call('memory')))
await Promise.all(peers.map(p => p.call('profileStart', { kind: 'alloc' })))
await sleep(Number(process.env.IDLE_MS ?? 0))
const t0 = Date.now()
let missing = 0
for (let i = 0; i < N; i++) {
  const s = started()
  await peers[i % peers.length].call('enqueueTimed', { name: 'lat' })
  if (!await s) missing++
  await sleep(2)
}
const wallMs = Date.now() - t0
await Promise.all(peers.map((p, i) => p.call('profileStop', { kind: 'alloc', file: `${OUT}/p${i}.heapprofile` })))
const heap1 = await Promise.all(peers.map(p => p.call('memory')))
console.log(JSON.stringify({ tasks: N, missing, wallMs, heapGrowthMB: heap0.map((h, i) => +((heap1[i].heapUsed - h.heapUsed) / 1e6).toFixed(1)), profiles: OUT }))
await cluster.stop()
process.exit(0)
