/* global process, console, setTimeout, clearTimeout */
// Single "any" tasks on an idle 3-peer cluster (3 processes), as the tasks pair's enqueue -> start latency runs
// them: one at a time, from each peer in turn, 2 ms apart. Prints per loop the CPU each peer spent (from /proc) and
// the start latency p50/p99, then, per peer, what it sent per task (gossip messages, wire channels), the CPU of
// its main thread and of its other threads (user and system), and its GC pauses. For the slowest starts it tells
// where the task's put was slow (sent late, or received late) and which GC pauses overlapped that window
// (docs/performance.md, session 17). Not part of `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/bisect/latency-cpu.mjs
//
// Env: N tasks per loop (300); LOOPS (2: the first on the fresh cluster); PRE ms idle before the first (500);
// PROF=1 a CPU profile of each peer over the last loop (in /tmp/latency-cpu; PROF_INTERVAL_US sets its sampling);
// ATTACH='<command> {pids}' runs a command (e.g. `perf record -g -p {pids}` or `strace -c -f -p {pids}`) over the
// loops and stops it with SIGINT.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { startCluster } from '../lib/cluster.mjs'
import { watchdog } from '../lib/proc.mjs'
import { nowMs, percentile, sleep } from '../lib/stats.mjs'

const N = Number(process.env.N ?? 300)
const LOOPS = Number(process.env.LOOPS ?? 2)
const DIR = '/tmp/latency-cpu'
watchdog(LOOPS * (N * 5_000) + 120_000, 'latency-cpu')
mkdirSync(DIR, { recursive: true })

const cluster = await startCluster(3, { tasks: { concurrency: 50 } })
const peers = cluster.peers

/** CPU ms of a process, from /proc/<pid>/stat (utime + stime, 100 Hz ticks). */
const cpuOf = pid => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10 }
/** CPU ms of a process's main thread and of its other threads, user and system apart. */
function threads (pid) {
  const out = { 'main.u': 0, 'main.s': 0, 'other.u': 0, 'other.s': 0 }
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1].split(' ')
      const k = Number(t) === pid ? 'main' : 'other'
      out[`${k}.u`] += Number(f[11]) * 10; out[`${k}.s`] += Number(f[12]) * 10
    } catch { /* the thread ended */ }
  }
  return out
}
const cpus = () => peers.map(p => cpuOf(p.child.pid))
const firstStarted = () => new Promise(resolve => {
  const t = setTimeout(() => resolve({ ms: NaN }), 5_000)
  for (const p of peers) p.on('started', m => { clearTimeout(t); resolve(m) })
})

const c00 = cpus(); const t00 = nowMs()
await sleep(Number(process.env.PRE ?? 500))
console.log(`idle before: cpu ms ${cpus().map((c, i) => c - c00[i]).join(' ')} over ${(nowMs() - t00).toFixed(0)} ms`)

const th0 = peers.map(p => threads(p.child.pid))
const attach = process.env.ATTACH ? spawn('sh', ['-c', process.env.ATTACH.replace('{pids}', peers.map(p => p.child.pid).join(','))], { stdio: 'ignore' }) : undefined
if (attach !== undefined) await sleep(300)
await Promise.all(peers.map(p => p.call('latTrace', { on: true })))
await Promise.all(peers.map(p => p.call('gcTrace', { on: true })))
const started = []
for (let loop = 0; loop < LOOPS; loop++) {
  if (process.env.PROF === '1' && loop === LOOPS - 1) await Promise.all(peers.map(p => p.call('profileStart', { kind: 'cpu' })))
  const c0 = cpus(); const t0 = nowMs(); const from0 = started.length
  const ch0 = await Promise.all(peers.map(p => p.call('sentByChannel'))); const g0 = await Promise.all(peers.map(p => p.call('gossipStats')))
  for (let i = 0; i < N; i++) {
    const s = firstStarted(); const from = i % peers.length
    await peers[from].call('enqueueTimed', { name: 'lat' })
    started.push({ ...await s, from })
    await sleep(2)
  }
  const c1 = cpus()
  const ms = started.slice(from0).map(s => s.ms).filter(Number.isFinite)
  console.log(`loop ${loop}: cpu ms ${c1.map((c, i) => c - c0[i]).join(' ')} over ${(nowMs() - t0).toFixed(0)} ms; start p50 ${percentile(ms, 50).toFixed(2)} p99 ${percentile(ms, 99).toFixed(2)} ms`)
  const ch1 = await Promise.all(peers.map(p => p.call('sentByChannel'))); const g1 = await Promise.all(peers.map(p => p.call('gossipStats')))
  for (let i = 0; i < peers.length; i++) {
    const wire = Object.entries(ch1[i]).map(([k, v]) => [k, (v - (ch0[i][k] ?? 0)) / N]).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')
    console.log(`  peer ${i} per task: gossip published ${((g1[i].sent - g0[i].sent) / N).toFixed(2)}; wire ${wire}`)
  }
  if (process.env.PROF === '1' && loop === LOOPS - 1) await Promise.all(peers.map((p, i) => p.call('profileStop', { kind: 'cpu', file: `${DIR}/p${i}.cpuprofile` })))
}
if (attach !== undefined) { attach.kill('SIGINT'); await sleep(1_000) }
for (const [i, p] of peers.entries()) {
  const t = threads(p.child.pid)
  console.log(`peer ${i} threads, cpu ms over the loops: ${Object.entries(t).map(([k, v]) => `${k} ${v - th0[i][k]}`).join(', ')}`)
}
const gcs = await Promise.all(peers.map(p => p.call('gcTrace', { on: false })))
for (const [i, g] of gcs.entries()) console.log(`peer ${i} GC: ${g.length} pauses, ${g.reduce((a, x) => a + x[1], 0).toFixed(1)} ms; over 2 ms: ${g.filter(x => x[1] > 2).map(x => `${x[1].toFixed(1)} (kind ${x[2]})`).join(' ')}`)

// The slowest starts: when the task's put (enqueuer -> the peer that started it) left and arrived, and GC meanwhile.
const traces = await Promise.all(peers.map(p => p.call('latTrace', { on: false })))
const ids = traces.map(t => t.id)
const enq = new Map(traces.flatMap(t => t.enq)); const put = new Map()
for (const [pi, t] of traces.entries()) {
  for (const [id, e] of t.put) {
    const cur = put.get(id) ?? { recvBy: {} }
    if (e.sent !== undefined) cur.sent = e.sent
    if (e.recv !== undefined) cur.recvBy[pi] = e.recv
    put.set(id, cur)
  }
}
const gcIn = (pi, a, b) => gcs[pi].filter(([t, d]) => t < b && t + d > a).map(([t, d, k]) => `${d.toFixed(1)} ms (kind ${k}) at +${(t - a).toFixed(1)}`).join(', ') || 'none'
for (const s of started.filter(x => Number.isFinite(x.ms)).sort((a, b) => b.ms - a.ms).slice(0, 8)) {
  const e = enq.get(s.id); const p = put.get(s.id); const starter = ids.indexOf(s.peer)
  const recv = p?.recvBy?.[starter]
  if (e === undefined || p?.sent === undefined || recv === undefined) {
    console.log(`slow ${s.ms.toFixed(2)} ms from peer ${s.from}, started there (no put on the way); GC on it: ${e === undefined ? '?' : gcIn(s.from, e.t0, e.t0 + s.ms)}`)
    continue
  }
  console.log(`slow ${s.ms.toFixed(2)} ms from peer ${s.from} on peer ${starter}: put sent +${(p.sent - e.t0).toFixed(2)}, received +${(recv - e.t0).toFixed(2)}; GC on the sender: ${gcIn(s.from, e.t0, recv)}; on the receiver: ${gcIn(starter, p.sent, recv)}`)
}
await cluster.stop()
process.exit(0)
