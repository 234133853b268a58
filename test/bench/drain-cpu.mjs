/* global process, console */
// CPU per task of a queued "any" drain on 3 peers (3 processes, concurrency 50 each): the tasks are enqueued with
// every runner paused and stored on every peer, then the runners resume; timed until every peer stores every task
// finished. Prints, per round, tasks/s and the CPU of the 3 peers per task (from /proc/<pid>/stat), for A/B runs of
// two builds on a noisy machine (alternate the builds run by run and compare medians; the first round of a run warms
// it up). Not part of `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/drain-cpu.mjs
//
// Env: TASKS (20000), ROUNDS (4), PROFILE=<dir> (a CPU profile of each peer over each drain after the first;
// PROFILE_KIND=alloc: a sampling allocation profile instead, collected objects included; PROFILE_KIND=survivors: only
// what outlived a scavenge, with what is alive at the end),
// PERF=<file> (below), THREADS=1 (CPU per task of the peers' main threads and of their other threads,
// their kernel CPU, their minor page faults and their threads' context switches), MODE=submit (the tasks pair's
// submit + drain instead: no pause, each peer submits its share with enqueueMany x 1,000 while the runners run; timed
// from the first submission until every peer stores every task finished, CPU over the same window), STORE_COMMIT=inline|background
// (the peers' tasks.storeCommit; default auto), TRACE=1 (per peer, per task: lmdb puts and commits of the task store, the main thread's CPU and wall µs inside the commits,
// records received by push and gossip, messages sent by channel, the peer's counters), PEERS (3; 1 and 2 show what
// each replica costs: 17-22, 44-49 and 55-68 µs per task on 1, 2 and 3 peers in session 20), GC=1 (the main threads' GC
// pauses per task over the round, all peers, by kind: what V8's PerformanceObserver reports, helper threads' work apart),
// LIVE=<dir> (below), TASKS_JSON (more task options for the peers, e.g. '{"gossipLazyMs":0}'), TIMELINE=1 (after each
// round but the first, one line per poll of the drain: ms since its start, the cores the peers kept busy since the
// last poll, handlers run so far over the cluster, and each peer's tasks still pending or running).
import { spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { startCluster } from './lib/cluster.mjs'
import { processCpu, watchdog } from './lib/proc.mjs'
import { nowMs, sleep } from './lib/stats.mjs'

const N = Number(process.env.TASKS ?? 20_000)
const ROUNDS = Number(process.env.ROUNDS ?? 4)
const SUBMIT = process.env.MODE === 'submit'
/** No drain of this bench takes a minute; past it the round fails. */
const DRAIN_TIMEOUT_MS = 60_000
watchdog(ROUNDS * (DRAIN_TIMEOUT_MS + 30_000) + 60_000, 'drain-cpu')

const cpu = processCpu

const STORE_COMMIT = process.env.STORE_COMMIT
if (process.env.PROFILE !== undefined) mkdirSync(process.env.PROFILE, { recursive: true })
const cluster = await startCluster(Number(process.env.PEERS ?? 3), { tasks: { concurrency: 50, ...JSON.parse(process.env.TASKS_JSON ?? '{}'), ...(STORE_COMMIT === undefined ? {} : { storeCommit: STORE_COMMIT }) } })
const peers = cluster.peers
await sleep(4_000)
const share = Math.ceil(N / peers.length)
const total = share * peers.length
for (let r = 0; r < ROUNDS; r++) {
  await Promise.all(peers.map(p => p.call('resetRan')))
  if (!SUBMIT) {
    await Promise.all(peers.map(p => p.call('pause')))
    await Promise.all(peers.map(p => p.call('enqueueBulk', { name: 'noop', n: share, chunk: 1000 }, DRAIN_TIMEOUT_MS)))
    for (let i = 0; ; i++) {
      if ((await Promise.all(peers.map(p => p.call('taskCounts')))).every(c => c.pending + c.running >= total)) break
      if (i * 20 > DRAIN_TIMEOUT_MS) throw new Error('the queued tasks did not reach every peer')
      await sleep(20)
    }
  }
  const profiling = process.env.PROFILE !== undefined && r > 0
  if (profiling) await Promise.all(peers.map(p => p.call('profileStart', { kind: process.env.PROFILE_KIND ?? 'cpu' })))
  // PERF=<file>: `perf record -g` of the peers over the third round (start them with
  // PEER_NODE_FLAGS=--perf-basic-prof to name JavaScript frames).
  const perf = process.env.PERF !== undefined && r === 2
    ? spawn('perf', ['record', '-F', '2999', '-g', '-o', process.env.PERF, '-p', peers.map(p => p.child.pid).join(',')], { stdio: 'ignore' })
    : undefined
  if (perf !== undefined) await sleep(300)
  const tracing = process.env.TRACE === '1' && r > 0
  if (tracing) await Promise.all(peers.map(p => p.call('traceReset')))
  const gcTracing = process.env.GC === '1'
  if (gcTracing) await Promise.all(peers.map(p => p.call('gcTrace', { on: true })))
  const c0 = peers.map(p => cpu(p.child.pid))
  const t0 = nowMs()
  // Submitting runs alongside the wait below; a failed call or a refused task ends the round with its error.
  let submitError
  const submitting = SUBMIT
    ? Promise.all(peers.map(p => p.call('enqueueBulk', { name: 'noop', n: share, chunk: 1000 }, DRAIN_TIMEOUT_MS)))
      .then(enq => { const bad = enq.find(e => e.errors > 0); if (bad) submitError = new Error(`enqueue failed: ${bad.firstError}`) }, err => { submitError = err })
    : undefined
  if (!SUBMIT) await Promise.all(peers.map(p => p.call('resume')))
  // LIVE=<dir>: in the third round, from 150 ms in, what the peers allocate over LIVE_MS (400) and still hold at its end.
  const live = process.env.LIVE !== undefined && r === 2
    ? sleep(150).then(() => Promise.all(peers.map((p, i) => p.call('heapLive', { ms: Number(process.env.LIVE_MS ?? 400), file: `${process.env.LIVE}/live-p${i}.heapprofile` }))))
    : undefined
  const timeline = process.env.TIMELINE === '1' && r > 0 ? [] : undefined
  let polled = { at: t0, cpu: c0 }
  for (;;) {
    const progress = await Promise.all(peers.map(p => p.call('progress')))
    const ran = progress.map(x => ({ count: x.ran })); const counts = progress.map(x => x.counts)
    if (timeline !== undefined) {
      const now = { at: nowMs(), cpu: peers.map(p => cpu(p.child.pid)) }
      const busyUs = now.cpu.reduce((a, c, i) => a + c.main + c.other - polled.cpu[i].main - polled.cpu[i].other, 0)
      timeline.push(`  ${Math.round(now.at - t0)} ms: ${(busyUs / ((now.at - polled.at) * 1000)).toFixed(2)} cores busy, ${ran.reduce((a, x) => a + x.count, 0)} run, open per peer ${counts.map(c => c.pending + c.running).join(' / ')}`)
      polled = now
    }
    if (ran.reduce((a, x) => a + x.count, 0) >= total && counts.every(c => c.pending + c.running === 0 && c.uncommitted === 0)) break
    if (submitError !== undefined) throw submitError
    if (nowMs() - t0 > DRAIN_TIMEOUT_MS) throw new Error(`round ${r + 1}: the drain did not end within ${DRAIN_TIMEOUT_MS} ms`)
    await sleep(20)
  }
  const ms = nowMs() - t0
  if (timeline !== undefined) console.log(`round ${r + 1} timeline:\n${timeline.join('\n')}`)
  await live
  await submitting
  if (submitError !== undefined) throw submitError
  const c1 = peers.map(p => cpu(p.child.pid))
  if (perf !== undefined) { perf.kill('SIGINT'); await new Promise(resolve => perf.once('exit', resolve)) }
  if (profiling) await Promise.all(peers.map((p, i) => p.call('profileStop', { kind: process.env.PROFILE_KIND ?? 'cpu', file: `${process.env.PROFILE}/r${r}p${i}.${(process.env.PROFILE_KIND ?? 'cpu') === 'cpu' ? 'cpuprofile' : 'heapprofile'}` })))
  const per = c1.map((c, i) => (c.main + c.other - c0[i].main - c0[i].other) / total)
  const line = { round: r + 1, perSec: Math.round(total / ms * 1000), cpuUs: Math.round(per.reduce((a, b) => a + b, 0)), perPeer: per.map(Math.round) }
  if (process.env.THREADS === '1') {
    line.mainUs = Math.round(c1.reduce((a, c, i) => a + c.main - c0[i].main, 0) / total)
    line.otherUs = Math.round(c1.reduce((a, c, i) => a + c.other - c0[i].other, 0) / total)
    line.minfltPerTask = Math.round(c1.reduce((a, c, i) => a + c.minflt - c0[i].minflt, 0) / total * 100) / 100
    line.sysUs = Math.round(c1.reduce((a, c, i) => a + c.system - c0[i].system, 0) / total)
    line.cswPerTask = { voluntary: Math.round(c1.reduce((a, c, i) => a + c.vcsw - c0[i].vcsw, 0) / total * 100) / 100, preempted: Math.round(c1.reduce((a, c, i) => a + c.ivcsw - c0[i].ivcsw, 0) / total * 100) / 100 }
  }
  if (gcTracing) {
    // PerformanceObserver 'gc' entries: kind 1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks.
    const pauses = (await Promise.all(peers.map(p => p.call('gcTrace', { on: false })))).flat()
    const byKind = {}
    for (const [, ms, kind] of pauses) { const k = byKind[kind] ??= { n: 0, us: 0 }; k.n++; k.us += ms * 1000 / total }
    line.gcUs = Math.round(pauses.reduce((a, [, ms]) => a + ms, 0) * 1000 / total * 10) / 10
    line.gcByKind = Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, { n: v.n, us: Math.round(v.us * 10) / 10 }]))
  }
  if (tracing) {
    for (const t of await Promise.all(peers.map(p => p.call('trace')))) {
      const perTask = o => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v / total * 1000) / 1000]))
      line.trace = [...(line.trace ?? []), { io: perTask(t.io), channels: perTask(t.channels), counters: perTask(t.counters) }]
    }
  }
  console.log(JSON.stringify(line))
  await sleep(3_000)
}
await cluster.stop()
process.exit(0)
