/* global process, console, setTimeout, clearTimeout, URL */
// Pair 3: "any" tasks on 3 Troupe peers (3 processes, concurrency 50 each) vs
// BullMQ with 3 worker processes (concurrency 50 each) on a private redis.
// Drain: N no-op tasks submitted while the consumers are live, timed from the
// first submission until all have run (polled every 20 ms). Troupe submits from
// all 3 peers with enqueueMany in batches of 1,000 ("troupe"), and again with
// single enqueue() calls, 200 in flight on each peer, each awaiting its replica
// ack ("troupe-1"); BullMQ from this process with addBulk in chunks of 1,000.
// Queued drain ("troupe-q", "bullmq-q"), as the BullMQ baseline in
// ../shared/bench-anchors/bullmq measures drain: the N tasks are enqueued first
// (Troupe's runners paused, BullMQ's workers idle) and timed from the start of
// the consumers until all are done. Then single-task
// latency on an idle cluster: enqueue -> handler start, across processes on
// CLOCK_MONOTONIC, measured first, on the fresh cluster. Drain rounds
// interleaved; double runs counted from run ids. REDIS_APPENDFSYNC=always or
// everysec runs BullMQ's redis with an append-only file (lib/redis.mjs): not
// the baseline's setting, and its results count towards no target.
// STORE_COMMIT: the peers' tasks.storeCommit (for A/B runs).
import { Queue } from 'bullmq'
import { fileURLToPath } from 'node:url'
import { startCluster, waitStable } from './lib/cluster.mjs'
import { startChild, stopAll, watchdog } from './lib/proc.mjs'
import { haveRedis, startRedis } from './lib/redis.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { nowMs, percentile, sleep, summarize } from './lib/stats.mjs'

const ROUNDS = envInt('ROUNDS', 3)
const N = envInt('TASKS', 20_000)
// 1,000 single tasks a side per block, as the BullMQ baseline measured its latency: the p99 is then the tenth slowest,
// not the third (with 300, one stall of a second process decided it; session 20).
const LAT = envInt('LAT_TASKS', 1000)
const DRAIN_TIMEOUT_MS = envInt('DRAIN_TIMEOUT_S', 120) * 1000
watchdog(ROUNDS * (DRAIN_TIMEOUT_MS + 30_000) + 180_000, 'tasks')

const STORE_COMMIT = process.env.STORE_COMMIT
const cluster = await startCluster(3, { tasks: { concurrency: 50, ...(STORE_COMMIT === undefined ? {} : { storeCommit: STORE_COMMIT }) } })
const peers = cluster.peers
let redis; let workers = []; let queueN = 0
if (haveRedis()) {
  redis = await startRedis()
  const script = fileURLToPath(new URL('./tasks-bullmq.mjs', import.meta.url))
  workers = await Promise.all([0, 1, 2].map(() => startChild(script, { env: { REDIS_PORT: String(redis.port) } })))
}
const connection = () => ({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null })

/** Doubles: ids run more than once, over all processes. */
async function doubles (procs) {
  const total = new Map()
  for (const p of procs) for (const [id, n] of await p.call('ranIds')) total.set(id, (total.get(id) ?? 0) + n)
  let d = 0; let count = 0
  for (const n of total.values()) { count += n; if (n > 1) d++ }
  return { doubles: d, ran: total.size, runs: count }
}

/** doubles(), and how long fetching every peer's ids took (printed: it is outside the timed drain, on both sides). */
async function countDoubles (procs) {
  const t0 = nowMs()
  const d = await doubles(procs)
  console.log(`  (ids of ${d.ran} tasks fetched from ${procs.length} processes in ${(nowMs() - t0).toFixed(0)} ms, not timed)`)
  return d
}

async function waitUntil (what, check) {
  const t0 = nowMs()
  while (!await check()) {
    if (nowMs() - t0 > DRAIN_TIMEOUT_MS) throw new Error(`${what}: not done in ${DRAIN_TIMEOUT_MS} ms`)
    await sleep(20)
  }
  return nowMs()
}

async function troupeDrain (mode = 'bulk') {
  await Promise.all(peers.map(p => p.call('resetRan')))
  const t0 = nowMs()
  const share = Math.ceil(N / peers.length)
  const enq = await Promise.all(peers.map(p => mode === 'bulk'
    ? p.call('enqueueBulk', { name: 'noop', n: share, chunk: 1000 }, DRAIN_TIMEOUT_MS)
    : p.call('enqueueMany', { name: 'noop', n: share, inflight: 200 }, DRAIN_TIMEOUT_MS)))
  const enqueuedMs = Math.max(...enq.map(e => e.ms))
  const total = share * peers.length
  let end = await waitUntil('troupe drain', async () => (await Promise.all(peers.map(p => p.call('ran')))).reduce((a, r) => a + r.count, 0) >= total)
  // Runs counted double runs too: done only when every distinct id has run. The ids are fetched after the clock
  // stopped (as BullMQ's side counts its doubles after its own), and only a drain that had not run every id yet
  // (a double run made up the count) goes on, timed until every id has run.
  let d = await countDoubles(peers)
  if (d.ran < total) end = await waitUntil('troupe drain (distinct)', async () => (d = await doubles(peers)).ran >= total)
  return { drainPerSec: total / ((end - t0) / 1000), enqueuePerSec: total / (enqueuedMs / 1000), errors: enq.reduce((a, e) => a + e.errors, 0), ...d }
}

async function bullDrain () {
  const name = `drain-${queueN++}`
  await Promise.all(workers.map(w => w.call('resetRan')))
  await Promise.all(workers.map(w => w.call('start', { queue: name, concurrency: 50 })))
  const queue = new Queue(name, { connection: connection() })
  const t0 = nowMs()
  for (let i = 0; i < N; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ name: 'noop', data: { i: i + j } })))
  }
  const enqueuedMs = nowMs() - t0
  const end = await waitUntil('bullmq drain', async () => (await queue.getJobCounts('completed')).completed >= N)
  await Promise.all(workers.map(w => w.call('close')))
  const d = await countDoubles(workers)
  await queue.obliterate({ force: true })
  await queue.close()
  return { drainPerSec: N / ((end - t0) / 1000), enqueuePerSec: N / (enqueuedMs / 1000), errors: 0, ...d }
}

/**
 * Drain of queued tasks, as the BullMQ baseline (../shared/bench-anchors/bullmq, "drain 20,000 queued jobs")
 * measures it: the tasks are enqueued with every runner paused, and are stored on every peer, before the clock
 * starts; it stops once every task has run and every peer's store holds it finished.
 */
async function troupeQueued () {
  await Promise.all(peers.map(p => p.call('resetRan')))
  await Promise.all(peers.map(p => p.call('pause')))
  const share = Math.ceil(N / peers.length)
  const total = share * peers.length
  const enq = await Promise.all(peers.map(p => p.call('enqueueBulk', { name: 'noop', n: share, chunk: 1000 }, DRAIN_TIMEOUT_MS)))
  const open = c => c.pending + c.running
  // Every peer holds every task before the clock starts (the deferred gossip spreads them within ~1 s).
  await waitUntil('troupe queued: tasks on every peer', async () => (await Promise.all(peers.map(p => p.call('taskCounts')))).every(c => open(c) >= total))
  const c0 = (await Promise.all(peers.map(p => p.call('completed')))).reduce((a, c) => a + c.count, 0)
  const t0 = nowMs()
  await Promise.all(peers.map(p => p.call('resume')))
  // Also when every completion is committed on the peer that ran it: what BullMQ's completed count says of its jobs.
  let committedAt
  let end = await waitUntil('troupe queued drain', async () => {
    // One call per peer and poll (BullMQ's side asks Redis once per poll).
    const polled = await Promise.all(peers.map(p => p.call('progress', { completed: committedAt === undefined })))
    if (committedAt === undefined && polled.reduce((a, x) => a + x.completed, 0) - c0 >= total) committedAt = nowMs()
    // Stored: in every peer's view, and committed to its lmdb (uncommitted 0).
    return polled.reduce((a, x) => a + x.ran, 0) >= total && polled.every(x => open(x.counts) === 0 && x.counts.uncommitted === 0)
  })
  // Every id ran: checked after the clock stopped, as on BullMQ's side; if a double run made up the count, the drain
  // is timed on until every id has run.
  let d = await countDoubles(peers)
  if (d.ran < total) end = await waitUntil('troupe queued drain (distinct)', async () => (d = await doubles(peers)).ran >= total)
  return { drainPerSec: total / ((end - t0) / 1000), committedPerSec: total / (((committedAt ?? end) - t0) / 1000), errors: enq.reduce((a, e) => a + e.errors, 0), ...d }
}

/** The baseline's drain: N jobs added with the workers idle (autorun off), timed from their start until all completed. */
async function bullQueued () {
  const name = `queued-${queueN++}`
  await Promise.all(workers.map(w => w.call('resetRan')))
  await Promise.all(workers.map(w => w.call('start', { queue: name, concurrency: 50, autorun: false })))
  const queue = new Queue(name, { connection: connection() })
  for (let i = 0; i < N; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ name: 'noop', data: { i: i + j } })))
  }
  const t0 = nowMs()
  await Promise.all(workers.map(w => w.call('run')))
  const end = await waitUntil('bullmq queued drain', async () => (await queue.getJobCounts('completed')).completed >= N)
  await Promise.all(workers.map(w => w.call('close')))
  const d = await countDoubles(workers)
  await queue.obliterate({ force: true })
  await queue.close()
  return { drainPerSec: N / ((end - t0) / 1000), errors: 0, ...d }
}

/** Resolves with the first 'started' report from any of procs, or { ms: NaN } after 5 s (counted as missing). */
function firstStarted (procs) {
  return new Promise(resolve => {
    const t = setTimeout(() => resolve({ ms: NaN }), 5_000)
    for (const p of procs) p.on('started', msg => { clearTimeout(t); resolve(msg) })
  })
}

/** LAT_TRACE=1: per-step times of each single "any" task (enqueue -> put sent -> put received -> handler start), local or remote start. */
const LAT_TRACE = process.env.LAT_TRACE === '1'
const latStarts = []
/**
 * LAT_GC=1: of the single tasks slower than LAT_GC_SLOW_MS (2.5), how many had a GC pause on some peer's main thread
 * (V8's PerformanceObserver) between their enqueue and their start. Session 21: 10 of 25 on a fresh cluster, 2 of 10 once
 * placement was stable; the rest waited on a peer that was not running (CPU profiles show 2-5 ms inside socket writes
 * and clock reads: preempted).
 */
const LAT_GC = process.env.LAT_GC === '1'
const latWindows = []
/**
 * LAT_PROFILE=<dir>: a CPU profile of each peer over the fresh cluster's latency block (with PROF_INTERVAL_US=250,
 * sampled every 250 µs instead of V8's 1 ms), written there as p<i>.cpuprofile with the tasks' windows
 * (windows.json), for stall.mjs: what each peer ran while the slowest tasks waited (session 24, docs/performance.md).
 */
const LAT_PROFILE = process.env.LAT_PROFILE

/** Prints how many of the slow windows (enqueue -> start, bench clock) overlap a GC pause of one of `gcs` (per peer). */
function explainGc (label, windows, gcs) {
  const slowMs = Number(process.env.LAT_GC_SLOW_MS ?? 2.5)
  const slow = windows.filter(w => w.ms > slowMs)
  const hit = slow.filter(w => gcs.some(g => g.some(([at, ms]) => at < w.t0 + w.ms && at + ms > w.t0)))
  const long = gcs.map(g => g.filter(([, ms]) => ms > slowMs).length)
  console.log(`GC and the slow single tasks (${label}): ${slow.length} of ${windows.length} took over ${slowMs} ms, ${hit.length} of them with a GC pause on some peer meanwhile; pauses per peer ${gcs.map(g => g.length).join('/')}, of which over ${slowMs} ms ${long.join('/')}`)
}

/** One task at a time on an idle cluster: enqueue -> handler start. */
async function troupeLatency (n) {
  const out = []
  for (let i = 0; i < n; i++) {
    const started = firstStarted(peers)
    const from = i % peers.length
    const t0 = nowMs()
    await peers[from].call('enqueueTimed', { name: 'lat' })
    const s = await started
    out.push(s.ms)
    if (LAT_GC || LAT_PROFILE) latWindows.push({ t0, ms: s.ms, from, peer: s.peer })
    if (LAT_TRACE) latStarts.push({ id: s.id, ms: s.ms, from, peer: s.peer, partition: s.partition })
    await sleep(2)
  }
  return out
}

function explainLatency (traces) {
  const enq = new Map(traces.flatMap(t => t.enq))
  // sent/acked come from the enqueuer's trace; recv is the first receipt on any peer, and recvBy[peer] each peer's.
  const put = new Map()
  for (const t of traces) {
    for (const [id, e] of t.put) {
      const cur = put.get(id) ?? { recvBy: {} }
      if (e.sent !== undefined) cur.sent = e.sent
      if (e.acked !== undefined) cur.acked = e.acked
      if (e.recv !== undefined) { cur.recvBy[t.id] = e.recv; if (cur.recv === undefined || e.recv < cur.recv) cur.recv = e.recv }
      put.set(id, cur)
    }
  }
  const steps = { local: [], remote: [], enqueueToPutSent: [], putSentToReceived: [], receivedToStart: [], enqueueCall: [], putRoundTrip: [] }
  for (const { id, ms } of latStarts) {
    const e = enq.get(id); const p = put.get(id)
    if (e === undefined) continue
    steps.enqueueCall.push(e.resolved - e.t0)
    const start = e.t0 + ms
    if (p?.recv !== undefined && p.recv <= start) {
      steps.remote.push(ms)
      steps.enqueueToPutSent.push(p.sent - e.t0); steps.putSentToReceived.push(p.recv - p.sent); steps.receivedToStart.push(start - p.recv)
    } else steps.local.push(ms)
    if (p?.acked !== undefined) steps.putRoundTrip.push(p.acked - p.sent)
  }
  const fmt = xs => xs.length ? `p50 ${percentile(xs, 50).toFixed(2)} / p90 ${percentile(xs, 90).toFixed(2)} / p99 ${percentile(xs, 99).toFixed(2)} ms` : 'n/a'
  for (const [k, xs] of Object.entries(steps)) console.log(`  ${k.padEnd(18)} ${fmt(xs)} (${xs.length})`)
  const slow = latStarts.filter(s => Number.isFinite(s.ms)).sort((a, b) => b.ms - a.ms).slice(0, 8)
  for (const s of slow) {
    const e = enq.get(s.id); const p = put.get(s.id)
    const rel = x => x === undefined || e === undefined ? '-' : (x - e.t0).toFixed(2)
    const starter = traces.findIndex(t => t.id === s.peer)
    console.log(`  slow ${s.ms.toFixed(2)} ms from peer ${s.from}, started on peer ${starter} (partition ${s.partition}): put sent ${rel(p?.sent)} first recv ${rel(p?.recv)} recv by the starter ${rel(p?.recvBy?.[s.peer])} acked ${rel(p?.acked)}, enqueue resolved ${rel(e?.resolved)}`)
  }
}

let latQueue
async function bullLatency (n) {
  if (latQueue === undefined) {
    latQueue = new Queue('latency', { connection: connection() })
    await Promise.all(workers.map(w => w.call('start', { queue: 'latency', concurrency: 1 })))
  }
  const out = []
  for (let i = 0; i < n; i++) {
    const started = firstStarted(workers)
    await latQueue.add('lat', { t0: nowMs() })
    out.push((await started).ms)
    await sleep(2)
  }
  return out
}

// Latency first, while the cluster is idle (after the drains its gossip and sync still catch up).
// Twice: on the fresh cluster (partitions may still be moving to their desired owners), then once no partition has
// changed holder for 3 s (a production cluster is not measured in its first seconds).
async function latencyBlocks (label) {
  const out = { troupe: [], bullmq: [] }
  latStarts.length = 0
  if (LAT_TRACE) await Promise.all(peers.map(p => p.call('latTrace', { on: true })))
  if (LAT_GC) { latWindows.length = 0; await Promise.all(peers.map(p => p.call('gcTrace', { on: true }))) }
  for (let b = 0; b < 3; b++) {
    out.troupe.push(...await troupeLatency(Math.ceil(LAT / 3)))
    if (redis !== undefined) out.bullmq.push(...await bullLatency(Math.ceil(LAT / 3)))
  }
  if (LAT_GC) explainGc(label, latWindows, await Promise.all(peers.map(p => p.call('gcTrace', { on: false }))))
  if (LAT_TRACE) {
    console.log(`latency trace (${label}):`)
    explainLatency(await Promise.all(peers.map(p => p.call('latTrace', { on: false }))))
  }
  return out
}
if (LAT_PROFILE) await Promise.all(peers.map(p => p.call('profileStart', { kind: 'cpu' })))
const lat = await latencyBlocks('fresh cluster')
if (LAT_PROFILE) {
  const { mkdirSync, writeFileSync } = await import('node:fs')
  mkdirSync(LAT_PROFILE, { recursive: true })
  await Promise.all(peers.map((p, i) => p.call('profileStop', { kind: 'cpu', file: `${LAT_PROFILE}/p${i}.cpuprofile` })))
  writeFileSync(`${LAT_PROFILE}/windows.json`, JSON.stringify({ windows: latWindows, peerIds: await Promise.all(peers.map(async p => (await p.call('status')).id)) }))
  console.log(`latency profiles of the fresh block in ${LAT_PROFILE}: node test/bench/stall.mjs ${LAT_PROFILE}`)
}
const stableWaitMs = await waitStable(cluster)
console.log(`placement stable after ${(stableWaitMs / 1000).toFixed(1)} more s`)
const latSettled = await latencyBlocks('settled cluster')
// Both sides warm up alike before the measured rounds, WARMUP_ROUNDS drains of each kind (default 2), so that
// neither side's measured rounds pay for its just-in-time compiler. With no warmup for BullMQ its first queued drain
// ran ~1.5x slower than its later ones; with one for Troupe, Troupe's queued drains still sped up round by round
// (27k, 29k, 36k per second: its functions that run once per message, not per task, reach the optimizing compiler
// only after several drains).
const WARMUP_ROUNDS = envInt('WARMUP_ROUNDS', 2)
for (let w = 0; w < WARMUP_ROUNDS; w++) {
  for (const [name, warm] of [['troupe', troupeDrain], ['troupe-q', troupeQueued], ...(redis === undefined ? [] : [['bullmq', bullDrain], ['bullmq-q', bullQueued]])]) {
    const t0 = nowMs()
    const res = await warm().catch(err => { console.log(`warmup ${w + 1} ${name}: ${err.message}`) })
    if (res !== undefined) console.log(`warmup ${w + 1} ${name.padEnd(8)} ${Math.round(res.drainPerSec)}/s (${Math.round(nowMs() - t0)} ms)`)
  }
}
const runs = { troupe: [], 'troupe-1': [], bullmq: [], 'troupe-q': [], 'bullmq-q': [] }
for (let r = 0; r < ROUNDS; r++) {
  const order = redis === undefined ? ['troupe-q', 'troupe', 'troupe-1'] : r % 2 === 0 ? ['troupe-q', 'bullmq-q', 'troupe', 'bullmq', 'troupe-1'] : ['bullmq-q', 'troupe-q', 'troupe-1', 'bullmq', 'troupe']
  for (const name of order) {
    const res = name === 'troupe' ? await troupeDrain('bulk') : name === 'troupe-1' ? await troupeDrain('single') : name === 'bullmq' ? await bullDrain()
      : name === 'troupe-q' ? await troupeQueued() : await bullQueued()
    runs[name].push(res)
    const enq = res.enqueuePerSec === undefined ? '' : `, enqueue ${Math.round(res.enqueuePerSec)}/s`
    const committed = res.committedPerSec === undefined ? '' : ` (every completion committed on its runner: ${Math.round(res.committedPerSec)}/s)`
    console.log(`round ${r + 1} ${name.padEnd(8)} ${N} tasks: ${name.endsWith('-q') ? 'queued ' : ''}drain ${Math.round(res.drainPerSec)}/s${committed}${enq}, ran ${res.ran}, double runs ${res.doubles}, enqueue errors ${res.errors}`)
  }
}
for (const [which, l] of [['fresh', lat], ['settled', latSettled]]) {
  for (const [name, xs] of Object.entries(l)) {
    const ok = xs.filter(Number.isFinite)
    if (xs.length) console.log(`${name} enqueue -> start (${which}), ${ok.length} single tasks: p50 ${percentile(ok, 50).toFixed(3)} ms, p99 ${percentile(ok, 99).toFixed(3)} ms; ${xs.length - ok.length} not started within 5 s`)
  }
}
await latQueue?.close()
await stopAll()
await redis?.stop()
await cluster.stop()

function latencySummary (l) {
  return Object.fromEntries(Object.entries(l).filter(([, xs]) => xs.length).map(([k, xs]) => {
    const ok = xs.filter(Number.isFinite)
    return [k, { n: ok.length, missing: xs.length - ok.length, p50: percentile(ok, 50), p99: percentile(ok, 99) }]
  }))
}
const sum = (name, key) => runs[name].length ? summarize(runs[name].map(x => x[key])) : undefined
writeResult('tasks', {
  rounds: ROUNDS, tasks: N, bullmq: redis !== undefined,
  /** BullMQ's redis: 'none' as the baseline runs it, else its appendfsync policy (REDIS_APPENDFSYNC). */
  redisPersistence: redis?.persistence,
  troupe: { drain: sum('troupe', 'drainPerSec'), enqueue: sum('troupe', 'enqueuePerSec'), doubles: runs.troupe.reduce((a, x) => a + x.doubles, 0), errors: runs.troupe.reduce((a, x) => a + x.errors, 0) },
  troupeSingle: { drain: sum('troupe-1', 'drainPerSec'), enqueue: sum('troupe-1', 'enqueuePerSec'), doubles: runs['troupe-1'].reduce((a, x) => a + x.doubles, 0), errors: runs['troupe-1'].reduce((a, x) => a + x.errors, 0) },
  bull: redis === undefined ? undefined : { drain: sum('bullmq', 'drainPerSec'), enqueue: sum('bullmq', 'enqueuePerSec'), doubles: runs.bullmq.reduce((a, x) => a + x.doubles, 0) },
  /** Queued drain (the baseline's measure): tasks stored before the clock starts, then run. */
  queued: {
    troupe: sum('troupe-q', 'drainPerSec'), bull: redis === undefined ? undefined : sum('bullmq-q', 'drainPerSec'),
    /** Until every completion is committed on the peer that ran it (BullMQ's completed count), not yet stored everywhere. */
    troupeCommitted: sum('troupe-q', 'committedPerSec'),
    committedRatio: redis === undefined ? undefined : summarize(runs['troupe-q'].map((x, i) => x.committedPerSec / runs['bullmq-q'][i].drainPerSec)),
    doubles: runs['troupe-q'].reduce((a, x) => a + x.doubles, 0) + runs['bullmq-q'].reduce((a, x) => a + x.doubles, 0),
    ratio: redis === undefined ? undefined : summarize(runs['troupe-q'].map((x, i) => x.drainPerSec / runs['bullmq-q'][i].drainPerSec)),
  },
  drainRatio: redis === undefined ? undefined : summarize(runs.troupe.map((x, i) => x.drainPerSec / runs.bullmq[i].drainPerSec)),
  enqueueRatio: redis === undefined ? undefined : summarize(runs.troupe.map((x, i) => x.enqueuePerSec / runs.bullmq[i].enqueuePerSec)),
  drainRatioSingle: redis === undefined ? undefined : summarize(runs['troupe-1'].map((x, i) => x.drainPerSec / runs.bullmq[i].drainPerSec)),
  enqueueRatioSingle: redis === undefined ? undefined : summarize(runs['troupe-1'].map((x, i) => x.enqueuePerSec / runs.bullmq[i].enqueuePerSec)),
  latency: latencySummary(lat),
  /** The same after placement has been stable for 3 s (see latencyBlocks). */
  latencySettled: latencySummary(latSettled),
  stableWaitMs,
})
process.exit(0)
