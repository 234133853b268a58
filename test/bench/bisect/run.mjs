/* global process, console, URL */
// Bisection of the actions gap: each step of step-server.mjs (plus the full
// bench peer) in its own process, started fresh per round in a rotated order,
// measured with autocannon at 50 and 1 connections. Besides req/s it reads the
// server process's CPU time (/proc/<pid>/stat) to give CPU µs per request,
// which other load on the box disturbs less than throughput does.
// Usage: STEPS=hono,app-all,peer,peer-hono ROUNDS=3 DURATION=3 node --import ./dist/compat.js test/bench/bisect/run.mjs
import autocannon from 'autocannon'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startPeer } from '../lib/cluster.mjs'
import { startChild, stopChild, watchdog } from '../lib/proc.mjs'
import { median, sleep } from '../lib/stats.mjs'

const ROUNDS = Number(process.env.ROUNDS ?? 3)
const DURATION = Number(process.env.DURATION ?? 3)
const STEPS = (process.env.STEPS ?? 'hono,hono-async,hono-listen,app,app-ops,app-all,peer,peer-hono').split(',')
const CONNS = (process.env.CONNS ?? '50,1').split(',').map(Number)
const SERVER = fileURLToPath(new URL('./step-server.mjs', import.meta.url))
watchdog(ROUNDS * STEPS.length * (CONNS.length * DURATION + 20) * 1000 + 60_000, 'bisect')

const TICK_S = 100 // USER_HZ
function cpuSeconds (pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / TICK_S // utime + stime
}

function cannon (url, connections, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration, pipelining: 1 }, (err, res) => {
      if (err) reject(err); else resolve({ total: res.requests.total, errors: res.errors + res.non2xx })
    })
  })
}

async function start (step) {
  if (step === 'peer') {
    const h = await startPeer({ http: true })
    return { h, url: h.ready.httpUrl }
  }
  const h = await startChild(SERVER, { env: { STEP: step } })
  return { h, url: h.ready.httpUrl }
}

const res = Object.fromEntries(STEPS.map(s => [s, Object.fromEntries(CONNS.map(c => [c, []]))]))
const cpu = Object.fromEntries(STEPS.map(s => [s, Object.fromEntries(CONNS.map(c => [c, []]))]))
const idle = Object.fromEntries(STEPS.map(s => [s, []]))
for (let r = 0; r < ROUNDS; r++) {
  const order = STEPS.slice(r % STEPS.length).concat(STEPS.slice(0, r % STEPS.length))
  for (const step of order) {
    const { h, url } = await start(step)
    const target = `${url}/api/hello?name=x`
    await sleep(1000)
    const i0 = cpuSeconds(h.pid); await sleep(2000); idle[step].push((cpuSeconds(h.pid) - i0) / 2)
    await cannon(target, 50, 1) // warmup
    for (const conns of CONNS) {
      const c0 = cpuSeconds(h.pid)
      const out = await cannon(target, conns, DURATION)
      const c1 = cpuSeconds(h.pid)
      res[step][conns].push(out.total / DURATION)
      cpu[step][conns].push(((c1 - c0) / out.total) * 1e6)
      console.log(`round ${r + 1} ${step.padEnd(12)} ${String(conns).padStart(2)} conns: ${Math.round(out.total / DURATION)} req/s, ${(((c1 - c0) / out.total) * 1e6).toFixed(1)} µs CPU/req, errors ${out.errors}`)
    }
    await stopChild(h.child)
  }
}

console.log('\nmedians (ratio = median req/s vs hono; CPU µs per request in the server process; idle = CPU share with no load)')
for (const step of STEPS) {
  const cols = CONNS.map(c => {
    const m = median(res[step][c]); const base = median(res.hono?.[c] ?? [NaN])
    return `${c}c ${Math.round(m)}/s ${(m / base).toFixed(2)}x ${median(cpu[step][c]).toFixed(1)}µs`
  })
  console.log(`${step.padEnd(12)} ${cols.join('  |  ')}  | idle ${(median(idle[step]) * 100).toFixed(1)}% CPU`)
}
process.exit(0)
