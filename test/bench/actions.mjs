/* global process, console, URL, fetch */
// Pair 1: a Troupe action (zod input) over HTTP vs a bare Hono handler, both
// GET /api/hello?name=x, each in its own process; autocannon in this process.
// Interleaved rounds, the order flipped every round; autocannon and the servers
// on separate cores (ACTIONS_PIN below).
import autocannon from 'autocannon'
import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { startPeer } from './lib/cluster.mjs'
import { startChild, stopAll, watchdog } from './lib/proc.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { percentile, summarize } from './lib/stats.mjs'

const ROUNDS = envInt('ROUNDS', 3)
const DURATION = envInt('DURATION', 5)
const CONNS = [50, 1]
watchdog((ROUNDS * 4 * DURATION + 90) * 1000, 'actions')

/** Pins every thread of `pid` to `cpu`; false when taskset is missing or refuses. */
function pin (pid, cpu) {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function cannon (url, connections, duration) {
  return new Promise((resolve, reject) => {
    const times = []
    const inst = autocannon({ url, connections, duration, pipelining: 1 }, (err, res) => {
      if (err) { reject(err); return }
      resolve({ perSec: res.requests.total / duration, p50: percentile(times, 50), p99: percentile(times, 99), errors: res.errors + res.non2xx })
    })
    inst.on('response', (_client, _status, _bytes, ms) => { if (times.length < 2_000_000) times.push(ms) })
  })
}

const troupe = await startPeer({ http: true })
const hono = await startChild(fileURLToPath(new URL('./actions-hono.mjs', import.meta.url)))
// ACTIONS_PIN (default 1 on 2 or more cores): the load generator (this process) on core 0 and both servers on core 1
// (`taskset`, every thread), for both sides alike. Unpinned, where the scheduler puts the processes changes from run
// to run, and the ratio of two adjacent runs swung 0.54-1.51 between two nearly identical servers (session 28); pinned, the
// same pairs stayed within 0.92-0.98, while the VM's own speed still drifts under both.
const PIN = process.env.ACTIONS_PIN !== '0' && availableParallelism() >= 2 && pin(process.pid, 0) && pin(troupe.pid, 1) && pin(hono.pid, 1)
console.log(PIN ? 'pinned: autocannon on core 0, the servers on core 1' : 'not pinned')
const servers = { troupe: `${troupe.ready.httpUrl}/api/hello?name=x`, hono: `${hono.ready.httpUrl}/api/hello?name=x` }
// Same body from both.
for (const [name, url] of Object.entries(servers)) console.log(`${name}: ${await (await fetch(url)).text()}`)

for (const url of Object.values(servers)) await cannon(url, 50, 2) // warmup
const runs = { troupe: { 50: [], 1: [] }, hono: { 50: [], 1: [] } }
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? ['troupe', 'hono'] : ['hono', 'troupe']
  for (const conns of CONNS) {
    for (const name of order) {
      const res = await cannon(servers[name], conns, DURATION)
      runs[name][conns].push(res)
      console.log(`round ${r + 1} ${name.padEnd(6)} ${String(conns).padStart(2)} conns: ${Math.round(res.perSec)} req/s, p50 ${res.p50.toFixed(3)} ms, p99 ${res.p99.toFixed(3)} ms, errors ${res.errors}`)
    }
  }
}
await stopAll()

const rows = []
for (const conns of CONNS) {
  const t = runs.troupe[conns]; const h = runs.hono[conns]
  rows.push({
    conns,
    troupe: summarize(t.map(x => x.perSec)), hono: summarize(h.map(x => x.perSec)),
    // Ratio per round (same round, adjacent runs), then the median of those.
    ratio: summarize(t.map((x, i) => x.perSec / h[i].perSec)),
    troupeP99: summarize(t.map(x => x.p99)), honoP99: summarize(h.map(x => x.p99)),
    troupeP50: summarize(t.map(x => x.p50)), honoP50: summarize(h.map(x => x.p50)),
    errors: [...t, ...h].reduce((a, x) => a + x.errors, 0),
  })
}
writeResult('actions', { rounds: ROUNDS, durationS: DURATION, pinned: PIN, rows })
process.exit(0)
