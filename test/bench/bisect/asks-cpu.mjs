/* global process, console */
// Remote asks between two Troupe peers (two processes, as in the actors pair), with the CPU each process and
// the whole box used over the run: a box far from busy while asks are in flight means the peers wait on each
// other, not on CPU (docs/performance.md, session 16). INFLIGHT (100), DURATION seconds (6).
// Usage: node --import ./dist/compat.js test/bench/bisect/asks-cpu.mjs
import { readFileSync } from 'node:fs'
import { startCluster } from '../lib/cluster.mjs'
import { stopAll, watchdog } from '../lib/proc.mjs'
import { sleep } from '../lib/stats.mjs'

const INFLIGHT = Number(process.env.INFLIGHT ?? 100)
const DURATION_MS = Number(process.env.DURATION ?? 6) * 1000
watchdog(DURATION_MS + 120_000, 'asks-cpu')

const cpu = pid => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return [Number(f[11]) / 100, Number(f[12]) / 100] }
const box = () => { const l = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number); return { idle: l[3] + l[4], all: l.reduce((a, b) => a + b, 0) } }

const cluster = await startCluster(2)
const [host, caller] = cluster.peers
await sleep(4000) // the caller's share of partitions settles
const remote = await host.call('localKeys', { n: 100 })
await caller.call('askLoop', { addresses: remote, handler: 'get', inflight: INFLIGHT, durationMs: 3000 }) // warmup
const before = [host, caller].map(p => cpu(p.pid)); const box0 = box()
const res = await caller.call('askLoop', { addresses: remote, handler: 'get', inflight: INFLIGHT, durationMs: DURATION_MS })
const after = [host, caller].map(p => cpu(p.pid)); const box1 = box()
const asks = res.perSec * DURATION_MS / 1000
console.log(`${INFLIGHT} in flight: ${Math.round(res.perSec)} asks/s, p50 ${res.p50?.toFixed(3)} ms`)
for (const [i, name] of ['host', 'caller'].entries()) {
  const user = after[i][0] - before[i][0]; const sys = after[i][1] - before[i][1]
  console.log(`${name.padEnd(6)} user ${user.toFixed(2)} s, sys ${sys.toFixed(2)} s, ${((user + sys) * 1e6 / asks).toFixed(1)} µs per ask`)
}
console.log(`box busy ${(100 * (1 - (box1.idle - box0.idle) / (box1.all - box0.all))).toFixed(1)}%`)
await stopAll()
process.exit(0)
