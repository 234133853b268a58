/* global process, console, URL */
// One server per step (see run.mjs: step-server.mjs steps, or `peer`), each
// measured at 1 and 50 connections, with the server's user and system CPU per
// request split (/proc/<pid>/stat), its context switches, and optionally a
// command attached to the server's pid for the measured window (env ATTACH,
// `{pid}` replaced, e.g. ATTACH='strace -c -f -p {pid}' or 'perf stat -p {pid}').
// Usage: STEPS=hono,app-all,peer DURATION=3 node --import ./dist/compat.js test/bench/bisect/probe.mjs
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LEASE, MEMBERSHIP } from '../lib/cluster.mjs'
import { startChild, stopChild, track, watchdog } from '../lib/proc.mjs'
import { sleep } from '../lib/stats.mjs'

const DURATION = Number(process.env.DURATION ?? 3)
const STEPS = (process.env.STEPS ?? 'hono,app-all,peer').split(',')
const CONNS = (process.env.CONNS ?? '1,50').split(',').map(Number)
const ROUNDS = Number(process.env.ROUNDS ?? 1)
const SERVER = fileURLToPath(new URL('./step-server.mjs', import.meta.url))
const PEER = fileURLToPath(new URL('../lib/peer-child.mjs', import.meta.url))
const EXEC_ARGV = process.env.SERVER_ARGV ? process.env.SERVER_ARGV.split(' ') : []
watchdog(ROUNDS * STEPS.length * (CONNS.length * (DURATION + 3) + 20) * 1000 + 60_000, 'probe')

function stat (pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  const ctx = [...s.matchAll(/(voluntary|nonvoluntary)_ctxt_switches:\s+(\d+)/g)].reduce((a, m) => a + Number(m[2]), 0)
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100, ctx }
}

const cannon = (url, connections, duration) => new Promise((resolve, reject) => {
  autocannon({ url, connections, duration, pipelining: 1 }, (err, res) => { if (err) reject(err); else resolve(res.requests.total) })
})

async function start (step) {
  const compat = fileURLToPath(new URL('../../../dist/compat.js', import.meta.url))
  if (step === 'peer') {
    // As startPeer({ http: true }), with SERVER_ARGV too.
    const dataDir = mkdtempSync(join(tmpdir(), 'troupe-probe-'))
    const env = { BENCH_PEER: JSON.stringify({ seeds: [], dataDir, http: true, lease: LEASE, membership: MEMBERSHIP, tasks: {} }) }
    return startChild(PEER, { env, execArgv: ['--import', compat, ...EXEC_ARGV] })
  }
  return startChild(SERVER, { env: { STEP: step }, execArgv: ['--import', compat, ...EXEC_ARGV] })
}

for (let r = 0; r < ROUNDS; r++) {
  for (const step of STEPS) {
    const h = await start(step)
    const url = `${h.ready.httpUrl}/api/hello?name=x`
    await sleep(500)
    await cannon(url, 50, 2)
    for (const conns of CONNS) {
      let attached
      if (process.env.ATTACH) {
        const [cmd, ...args] = process.env.ATTACH.replaceAll('{pid}', String(h.pid)).split(' ')
        attached = track(spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] }))
        await sleep(300)
      }
      const a = stat(h.pid)
      const n = await cannon(url, conns, DURATION)
      const b = stat(h.pid)
      if (attached) { attached.kill('SIGINT'); await new Promise(resolve => attached.once('exit', resolve)) }
      const us = x => (x * 1e6 / n).toFixed(1)
      console.log(`${step.padEnd(10)} ${String(conns).padStart(2)}c ${Math.round(n / DURATION)} req/s  user ${us(b.user - a.user)} µs  sys ${us(b.sys - a.sys)} µs  total ${us(b.user - a.user + b.sys - a.sys)} µs/req  ctxsw/req ${((b.ctx - a.ctx) / n).toFixed(2)}`)
    }
    await stopChild(h.child)
  }
}
process.exit(0)
