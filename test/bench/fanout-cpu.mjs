/* global process, console */
// CPU per "all" task on N peers (one process each; default 10): the fan-out pair's load (one task at a time,
// enqueued from each peer in turn, 20 ms apart), with the CPU of every peer's main thread and of its other threads
// (V8's compiler and GC helpers, lmdb's), and their threads' context switches, read from /proc over each round, then over an idle window as long as the
// round. fanout.mjs gives the latency; this gives what each task costs the cluster, which on 2 cores is what the
// latency's tail waits for. Not part of `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/fanout-cpu.mjs
//
// Env: PEERS (10), TASKS (100 per round), ROUNDS (2; the first starts right after the cluster formed, as the fan-out
// pair's fresh row does; later rounds show the JIT still warming up), PROFILE=<dir> (a CPU profile of each peer over
// each round after the first, the idle window left out), TASKS_JSON (more task options for the peers, e.g.
// '{"storeCommit":"inline"}'). Each round also prints the cluster's kernel CPU, minor page faults and read and write
// system calls per task (/proc/<pid>/stat and /proc/<pid>/io). Run two builds alternately and compare rounds of the
// same rank: the VM drifts.
import { mkdirSync } from 'node:fs'
import { startCluster } from './lib/cluster.mjs'
import { processCpu, watchdog } from './lib/proc.mjs'
import { nowMs, percentile, sleep } from './lib/stats.mjs'

if (process.env.PROFILE !== undefined) mkdirSync(process.env.PROFILE, { recursive: true })
const PEERS = Number(process.env.PEERS ?? 10)
const TASKS = Number(process.env.TASKS ?? 100)
const ROUNDS = Number(process.env.ROUNDS ?? 2)
/** A task that has not started on every peer in this long is counted missing (fanout.mjs's bound). */
const TASK_TIMEOUT_MS = 5_000
watchdog(180_000 + ROUNDS * TASKS * 2 * (TASK_TIMEOUT_MS + 100), 'fanout-cpu')

const cluster = await startCluster(PEERS, { timeoutMs: 90_000, tasks: JSON.parse(process.env.TASKS_JSON ?? '{}') })
const seen = new Map()
for (const p of cluster.peers) p.on('fan', msg => { const s = seen.get(msg.id) ?? []; s.push(msg.ms); seen.set(msg.id, s) })

/** One "all" task from peer i % PEERS: ms until it started on the last peer (undefined if not on every peer in time). */
async function one (i) {
  const id = await cluster.peers[i % PEERS].call('enqueueTimed', { name: 'fan' })
  const t0 = nowMs()
  while ((seen.get(id)?.length ?? 0) < PEERS && nowMs() - t0 < TASK_TIMEOUT_MS) await sleep(1)
  const ms = seen.get(id) ?? []
  return ms.length < PEERS ? undefined : Math.max(...ms)
}

/** CPU µs of every peer, main threads and other threads apart, and their threads' context switches. */
function cpu () {
  const out = { main: 0, other: 0, vcsw: 0, ivcsw: 0, system: 0, minflt: 0, syscr: 0, syscw: 0 }
  for (const p of cluster.peers) {
    const c = processCpu(p.child.pid)
    for (const k of Object.keys(out)) out[k] += c[k] ?? 0
  }
  return out
}

const perTask = (a, b, n) => ({ main: (b.main - a.main) / 1000 / n, other: (b.other - a.other) / 1000 / n, vcsw: (b.vcsw - a.vcsw) / n, ivcsw: (b.ivcsw - a.ivcsw) / n, system: (b.system - a.system) / 1000 / n, minflt: (b.minflt - a.minflt) / n, syscr: (b.syscr - a.syscr) / n, syscw: (b.syscw - a.syscw) / n })
for (let i = 0; i < 10; i++) await one(i) // warmup, as fanout.mjs
for (let r = 0; r < ROUNDS; r++) {
  // PROFILE=<dir>: a CPU profile of every peer over each round but the first (the idle window left out).
  const profiling = process.env.PROFILE !== undefined && r > 0
  if (profiling) await Promise.all(cluster.peers.map(p => p.call('profileStart', { kind: 'cpu' })))
  const a = cpu(); const t0 = nowMs(); const starts = []; let missing = 0
  for (let i = 0; i < TASKS; i++) {
    const ms = await one(i)
    if (ms === undefined) missing++; else starts.push(ms)
    await sleep(20)
  }
  const wall = nowMs() - t0
  const busy = perTask(a, cpu(), TASKS)
  if (profiling) await Promise.all(cluster.peers.map((p, i) => p.call('profileStop', { kind: 'cpu', file: `${process.env.PROFILE}/r${r}p${i}.cpuprofile` })))
  const b = cpu(); await sleep(wall)
  const idle = perTask(b, cpu(), TASKS)
  console.log(JSON.stringify({
    round: r + 1,
    cpuMsPerTask: { main: +busy.main.toFixed(2), other: +busy.other.toFixed(2) },
    idleCpuMsPerSlot: { main: +idle.main.toFixed(2), other: +idle.other.toFixed(2) },
    // Context switches of the cluster's threads per task (voluntary: a thread waited; preempted), and in the idle window.
    cswPerTask: { voluntary: Math.round(busy.vcsw), preempted: Math.round(busy.ivcsw), idleVoluntary: Math.round(idle.vcsw), idlePreempted: Math.round(idle.ivcsw) },
    // Over the cluster per task: kernel CPU (ms, all threads), minor page faults, read and write system calls (/proc/<pid>/io), and the same per idle slot.
    kernel: { systemMs: +busy.system.toFixed(2), minflt: Math.round(busy.minflt), syscr: Math.round(busy.syscr), syscw: Math.round(busy.syscw), idleSystemMs: +idle.system.toFixed(2), idleSyscr: Math.round(idle.syscr), idleSyscw: Math.round(idle.syscw) },
    wallMsPerTask: +(wall / TASKS).toFixed(1),
    startedOnEvery: { p50: +percentile(starts, 50).toFixed(1), p99: +percentile(starts, 99).toFixed(1) },
    missing,
  }))
}
await cluster.stop()
process.exit(0)
