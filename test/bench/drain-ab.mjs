/* global process, console, performance, setTimeout */
// A paired A/B of the queued drain: two 3-peer clusters, one per build, side by side, their drains alternated round
// by round (the order flipped every round), so both builds see the machine as it is at that moment. On a VM whose
// speed drifts by 2x within the hour, separate runs of drain-cpu.mjs could not tell a 10% change; pairs can.
// Each build is a checkout with its own dist/ and test/bench/ (a `git worktree` with node_modules linked). Not part
// of `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/drain-ab.mjs <checkout A> <checkout B>
//
// Env: TASKS (20000), ROUNDS (8 per build; the first of each warms up). Prints per round the peers' CPU per task and
// tasks/s, then the medians and the per-round ratios B/A.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { processCpu } from './lib/proc.mjs'
const roots = process.argv.slice(2).map(r => resolve(r))
if (roots.length !== 2) throw new Error('usage: drain-ab.mjs <checkout A> <checkout B>')
const N = Number(process.env.TASKS ?? 20_000); const ROUNDS = Number(process.env.ROUNDS ?? 8)
const sleep = ms => new Promise(r => setTimeout(r, ms))
/** CPU µs of process `pid`, all its threads. */
const cpu = pid => { const c = processCpu(pid); return c.main + c.other }
const clusters = []
for (const root of roots) {
  const { startCluster } = await import(pathToFileURL(`${root}/test/bench/lib/cluster.mjs`).href)
  clusters.push(await startCluster(3, { tasks: { concurrency: 50 } }))
}
await sleep(4000)
const res = roots.map(() => [])
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0]
  for (const k of order) {
    const peers = clusters[k].peers
    const share = Math.ceil(N / peers.length); const total = share * peers.length
    await Promise.all(peers.map(p => p.call('resetRan')))
    await Promise.all(peers.map(p => p.call('pause')))
    await Promise.all(peers.map(p => p.call('enqueueBulk', { name: 'noop', n: share, chunk: 1000 }, 60_000)))
    for (;;) { if ((await Promise.all(peers.map(p => p.call('taskCounts')))).every(c => c.pending + c.running >= total)) break; await sleep(20) }
    await sleep(500)
    const c0 = peers.map(p => cpu(p.child.pid)); const t0 = performance.now()
    await Promise.all(peers.map(p => p.call('resume')))
    for (;;) {
      const [ran, counts] = await Promise.all([Promise.all(peers.map(p => p.call('ran'))), Promise.all(peers.map(p => p.call('taskCounts')))])
      if (ran.reduce((a, x) => a + x.count, 0) >= total && counts.every(c => c.pending + c.running === 0 && c.uncommitted === 0)) break
      await sleep(20)
    }
    const ms = performance.now() - t0; const c1 = peers.map(p => cpu(p.child.pid))
    const us = c1.reduce((a, c, i) => a + c - c0[i], 0) / total
    if (r > 0) res[k].push({ us, perSec: total / ms * 1000 })
    console.log(roots[k], 'round', r + 1, 'µs/task', us.toFixed(1), 'tasks/s', Math.round(total / ms * 1000))
    await sleep(1500)
  }
}
const med = a => [...a].sort((x, y) => x - y)[a.length >> 1]
for (const [k, r] of res.entries()) console.log(roots[k].padEnd(12), 'median µs/task', med(r.map(x => x.us)).toFixed(1), 'tasks/s', Math.round(med(r.map(x => x.perSec))))
console.log('per-round ratios B/A µs', res[1].map((x, i) => (x.us / res[0][i].us).toFixed(2)).join(' '), 'median', med(res[1].map((x, i) => x.us / res[0][i].us)).toFixed(3))
console.log('per-round ratios B/A tasks/s', res[1].map((x, i) => (x.perSec / res[0][i].perSec).toFixed(2)).join(' '), 'median', med(res[1].map((x, i) => x.perSec / res[0][i].perSec)).toFixed(3))
for (const c of clusters) await c.stop()
process.exit(0)
