/* global process, console */
// Pair 4: an "all" task's fan-out: time from enqueue until every peer has
// started it, with 3, 5 and 10 peers (one process each). One task at a time,
// 20 ms apart, enqueued from each peer in turn.
import { startCluster, waitStable } from './lib/cluster.mjs'
import { watchdog } from './lib/proc.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { nowMs, percentile, sleep } from './lib/stats.mjs'

const SIZES = (process.env.FANOUT_PEERS ?? '3,5,10').split(',').map(Number)
const SAMPLES = envInt('FANOUT_SAMPLES', 100)
/** FANOUT_TRACE=1: per-step times of each sample (enqueue -> push sent -> push received -> handler start) and each peer's CPU, event-loop delay and gossip messages in the window. */
const TRACE = process.env.FANOUT_TRACE === '1'
/** FANOUT_IDLE_MS: length of the traced idle window before the samples (FANOUT_TRACE only). */
const IDLE_MS = envInt('FANOUT_IDLE_MS', 3_000)
/** FANOUT_QUIET_MS: wait this long after the cluster formed before the warmup (0: measure right after formation). */
const QUIET_MS = envInt('FANOUT_QUIET_MS', 0)

/** CPU share per peer id over the last idle window (FANOUT_TRACE), subtracted from the task windows' CPU. */
const idleRate = new Map()
function explain (traces, seen) {
  const enq = new Map(traces.flatMap(t => t.enq))
  // The fan-out's pushes are the enqueuing peer's: the others' pushes of the same id are their reports to the
  // settler and the settled record, ~allReportMs later (counting them made firstToLastPush ~250 ms).
  const creator = new Map(traces.flatMap(t => t.enq.map(([id]) => [id, t])))
  const steps = { enqueueToFirstPush: [], firstToLastPush: [], pushToReceived: [], receivedToStart: [], enqueueCall: [] }
  for (const [id, { t0, resolved }] of enq) {
    steps.enqueueCall.push(resolved - t0)
    const sends = (creator.get(id)?.sent ?? []).filter(([k]) => k.startsWith(`${id}|`)).map(([k, at]) => ({ to: k.slice(id.length + 1), at }))
    if (sends.length > 0) {
      const first = Math.min(...sends.map(s => s.at)); const lastSend = Math.max(...sends.map(s => s.at))
      steps.enqueueToFirstPush.push(first - t0); steps.firstToLastPush.push(lastSend - first)
    }
    for (const t of traces) {
      const recv = new Map(t.recv).get(id)
      const send = sends.find(s => s.to === t.id)
      if (recv !== undefined && send !== undefined) steps.pushToReceived.push(recv - send.at)
    }
  }
  // Handler starts: t0 + ms per peer; which peer is unknown from `seen`, so received->start uses each peer's received time and the nearest start.
  for (const t of traces) {
    for (const [id, recvAt] of t.recv) {
      const e = enq.get(id); const ms = seen.get(id)
      if (e === undefined || ms === undefined) continue
      const starts = ms.map(m => e.t0 + m).filter(s => s >= recvAt - 0.01)
      if (starts.length) steps.receivedToStart.push(Math.min(...starts) - recvAt)
    }
  }
  const fmt = xs => xs.length ? `p50 ${percentile(xs, 50).toFixed(1)} / p99 ${percentile(xs, 99).toFixed(1)} ms` : 'n/a'
  for (const [k, xs] of Object.entries(steps)) console.log(`  ${k.padEnd(20)} ${fmt(xs)} (${xs.length})`)
  const tasks = enq.size || 1
  for (const t of traces) {
    console.log(`  peer ${t.id.slice(-6)}: cpu ${(t.cpuMs / t.wallMs * 100).toFixed(0)}% (${(t.cpuMs / tasks).toFixed(1)} ms/task), loop delay p50 ${t.eld.p50.toFixed(1)} p99 ${t.eld.p99.toFixed(1)} max ${t.eld.max.toFixed(1)} ms, gossip out ${(t.gossipSent / tasks).toFixed(2)} msg/task`)
  }
  const sum = (f) => traces.reduce((a, t) => a + f(t), 0)
  const io = {}
  for (const t of traces) for (const [k, v] of Object.entries(t.io ?? {})) io[k] = (io[k] ?? 0) + v
  console.log(`  per task per peer: ${Object.entries(io).map(([k, v]) => `${k} ${(v / tasks / traces.length).toFixed(2)}`).join(', ')}`)
  const out = { steps: Object.fromEntries(Object.entries(steps).map(([k, xs]) => [k, { p50: percentile(xs, 50), p99: percentile(xs, 99) }])), cpuMsPerTask: sum(t => t.cpuMs) / tasks, io: Object.fromEntries(Object.entries(io).map(([k, v]) => [k, v / tasks / traces.length])), gossipPerTask: sum(t => t.gossipSent) / tasks }
  console.log(`  window per peer per second: ${perSecond(traces)}`)
  if (traces.every(t => idleRate.has(t.id))) out.taskCpuMsPerTask = sum(t => t.cpuMs - idleRate.get(t.id) * t.wallMs) / tasks
  console.log(`  cluster: ${out.cpuMsPerTask.toFixed(1)} cpu-ms per task (all peers)${out.taskCpuMsPerTask === undefined ? '' : `, ${out.taskCpuMsPerTask.toFixed(1)} above the idle rate`}, ${out.gossipPerTask.toFixed(1)} gossip messages per task, ${(sum(t => t.wallMs) / traces.length / tasks).toFixed(0)} ms wall per task`)
  return out
}
/** Messages sent by channel and metric counters, averaged over the peers, per second of the window. */
function perSecond (traces) {
  const sum = new Map()
  for (const t of traces) for (const [k, v] of Object.entries({ ...t.channels, ...t.counters })) sum.set(k, (sum.get(k) ?? 0) + v / (t.wallMs / 1000))
  return [...sum].sort().map(([k, v]) => `${k} ${(v / traces.length).toFixed(1)}`).join(', ')
}
watchdog(SIZES.length * (180_000 + 2 * SAMPLES * 6_000), 'fanout')

const rows = []
for (const n of SIZES) {
  let cluster
  try {
    cluster = await startCluster(n, { timeoutMs: 90_000 })
  } catch (err) {
    console.log(`${n} peers: cluster did not form: ${err.message}`)
    rows.push({ peers: n, error: err.message })
    continue
  }
  const seen = new Map()
  for (const p of cluster.peers) {
    p.on('fan', msg => { const s = seen.get(msg.id) ?? []; s.push(msg.ms); seen.set(msg.id, s) })
  }
  async function one (i) {
    const id = await cluster.peers[i % n].call('enqueueTimed', { name: 'fan' })
    const t0 = nowMs()
    while ((seen.get(id)?.length ?? 0) < n && nowMs() - t0 < 5_000) await sleep(1)
    const ms = seen.get(id) ?? []
    return ms.length < n ? { missing: n - ms.length } : { last: Math.max(...ms), first: Math.min(...ms) }
  }
  async function idleWindow () {
    // What the peers burn with no task: membership, leases, sync.
    await Promise.all(cluster.peers.map(p => p.call('traceReset')))
    await sleep(IDLE_MS)
    const idle = await Promise.all(cluster.peers.map(p => p.call('trace')))
    for (const t of idle) idleRate.set(t.id, t.cpuMs / t.wallMs)
    console.log(`  idle: cpu ${idle.map(t => (t.cpuMs / t.wallMs * 100).toFixed(0)).join(' ')} % per peer, loop delay p99 ${idle.map(t => t.eld.p99.toFixed(0)).join(' ')} ms`)
    console.log(`  idle per peer per second: ${perSecond(idle)}`)
  }
  // FANOUT_QUIET_MS: the idle window comes after the quiet wait and before the warmup (no warmup leftovers in it).
  if (QUIET_MS > 0) {
    await sleep(QUIET_MS)
    if (TRACE) await idleWindow()
  }
  for (let i = 0; i < 10; i++) await one(i) // warmup
  if (TRACE) {
    if (QUIET_MS === 0) await idleWindow()
    await Promise.all(cluster.peers.map(p => p.call('traceReset')))
  }
  async function samples () {
    const last = []; let missing = 0
    for (let i = 0; i < SAMPLES; i++) {
      const r = await one(i)
      if (r.missing) missing += r.missing; else last.push(r.last)
      await sleep(20)
    }
    return { samples: last.length, missing, p50: percentile(last, 50), p99: percentile(last, 99), max: Math.max(...last) }
  }
  const row = { peers: n, formedMs: cluster.formedMs, ...await samples() }
  rows.push(row)
  console.log(`${n} peers (formed in ${(cluster.formedMs / 1000).toFixed(1)} s): every peer started in p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, max ${row.max.toFixed(2)} ms; ${row.missing} peer-runs missing after 5 s`)
  if (TRACE) row.trace = explain(await Promise.all(cluster.peers.map(p => p.call('trace'))), seen)
  // Again once no partition has changed holder for 3 s: right after formation partitions still move to their
  // desired owners, each move a release, an acquisition and a sync round with every peer (FANOUT_SETTLED=0 skips).
  if (process.env.FANOUT_SETTLED !== '0') {
    const waitMs = await waitStable(cluster)
    if (TRACE) await Promise.all(cluster.peers.map(p => p.call('traceReset')))
    row.settled = { waitMs, ...await samples() }
    const r = row.settled
    console.log(`${n} peers, placement stable 3 s (after ${(waitMs / 1000).toFixed(1)} s more): every peer started in p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms; ${r.missing} peer-runs missing after 5 s`)
    if (TRACE) r.trace = explain(await Promise.all(cluster.peers.map(p => p.call('trace'))), seen)
  }
  await cluster.stop()
}
writeResult('fanout', { samples: SAMPLES, rows })
process.exit(0)
