/* global process, setTimeout */
// One Troupe peer in its own process, driven by the parent over IPC.
// Env BENCH_PEER: JSON { seeds, dataDir, http, lease, membership, tasks }.
import { readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import { serve } from './proc.mjs'
import { closedLoop, nowMs } from './stats.mjs'

// As `troupe start` does (src/cli/v8-flags.ts, src/cli/after-start.ts): the startup V8 flags (TROUPE_V8_STARTUP_FLAGS) are on while the
// peer's modules load and it starts, then off; the idle ones (TROUPE_V8_IDLE_FLAGS) until it first gets busy; the lasting ones
// (TROUPE_V8_FLAGS) are also on this process's command line.
const V8 = await import('../../../dist/cli/v8-flags.js').catch(() => undefined)
const startup = V8?.applyV8Flags?.(process.env)
const { createPeer, silentLogger } = await import('../../../dist/index.js')
const { app, ran, runs } = await import('./app.mjs')

/** GC pauses seen while gcTrace is on. */
const gcSeen = []; let gcObserver
/** Profiles under way (profileStart), by kind. */
const profiling = new Map()
/**
 * A profile of this process over the inspector: `kind` 'cpu' (a V8 CPU profile) or 'alloc' (allocations sampled
 * every `interval` bytes, collected or not: what the young-generation GC works through). Resolves with its stopper.
 */
async function startProfile (kind, interval = 2048) {
  const session = new Session(); session.connect()
  // 'survivors': only what outlived the young generation's GCs (copied or promoted by a scavenge: what its pauses are
  // made of), with what a mark-compact collected later, and what is still alive when the profile stops.
  const [domain, start, stop, params] = kind === 'cpu' ? ['Profiler', 'start', 'stop', {}]
    : ['HeapProfiler', 'startSampling', 'stopSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: kind !== 'survivors' }]
  await session.post(`${domain}.enable`)
  // PROF_INTERVAL_US: the CPU profile's sampling interval (V8's default 1,000 µs).
  if (kind === 'cpu' && process.env.PROF_INTERVAL_US) await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.PROF_INTERVAL_US) })
  await session.post(`${domain}.${start}`, params)
  return async (file) => {
    const { profile } = await session.post(`${domain}.${stop}`)
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
  }
}
const init = JSON.parse(process.env.BENCH_PEER ?? '{}')
/** BENCH_LOG=<regex>: log lines whose message matches go to the parent as { type: 'log', t, level, msg, fields } (else silent). */
const logMatch = process.env.BENCH_LOG ? new RegExp(process.env.BENCH_LOG) : undefined
const forward = level => (msg, fields) => { if (logMatch.test(msg)) process.send({ type: 'log', t: nowMs(), level, msg, fields: JSON.parse(JSON.stringify(fields ?? {})) }) }
const benchLogger = logMatch === undefined ? silentLogger : { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error'), child: () => benchLogger }
const peer = await createPeer({
  app,
  listen: ['/ip4/127.0.0.1/tcp/0'],
  http: init.http ? { port: 0, host: '127.0.0.1' } : false,
  dataDir: init.dataDir,
  seeds: init.seeds ?? [],
  logger: benchLogger,
  lease: init.lease,
  membership: init.membership,
  tasks: init.tasks,
})
// Then as troupe start: the startup flags end, the one memory-reducing GC a second after start if the peer is idle then
// (TROUPE_STARTUP_GC=0 leaves it out), and the idle flags (TROUPE_V8_IDLE_FLAGS) end when it first gets busy
// (src/cli/after-start.ts). Older builds (bench/bisect) have only the first two.
const AFTER = await import('../../../dist/cli/after-start.js').catch(() => undefined)
if (AFTER !== undefined && startup !== undefined) AFTER.afterStart(startup)
else {
  startup?.endStartup()
  const GC = await import('../../../dist/cli/startup-gc.js').catch(() => undefined)
  if (GC?.startupGcEnabled?.(process.env)) GC.scheduleStartupGc()
}

// Counts one-way messages and requests this peer sends, by channel. The
// messenger is private to the peer; the bench wraps the instance, not the source.
const sent = new Map()
/** Lease messages by type (`propose`, `accepted`, ...), and refused entries in `accepted` (`accepted:nack`, ...). */
const sentLease = new Map()
const messenger = peer.messenger
// FANOUT_TRACE: per-task timestamps of the direct push ("<id>|<to>" -> sent,
// id -> received here), enqueue calls, and this process's CPU and event-loop
// delay since the last traceReset. The handler table is private to the
// messenger; the bench wraps the registered push handler, not the source.
const trace = { sent: new Map(), recv: new Map(), enq: new Map(), cpu: process.cpuUsage(), eld: monitorEventLoopDelay({ resolution: 5 }), gossip0: 0 }
const pushHandlers = messenger.handlers?.messages
const onPush = pushHandlers?.get('tasks/push')
if (onPush !== undefined) {
  pushHandlers.set('tasks/push', (from, body) => {
    const t = nowMs()
    if (trace.on) for (const id of pushedIds(body)) if (!trace.recv.has(id)) trace.recv.set(id, t)
    io.pushRecords += body?.records?.length ?? 0
    return onPush(from, body)
  })
}
/** Counters of the peer's metrics (summed over labels), to diff over the traced window. */
async function counters () {
  const out = {}
  const m = peer.metrics
  for (const [name, c] of Object.entries({ gossip: m.gossipMessages, gossipIgnored: m.gossipIgnored, gossipRejected: m.gossipRejected, syncRounds: m.syncRounds, syncRecords: m.syncRecords, leaseRounds: m.leaseRounds, leaseRoundEntries: m.leaseRoundEntries })) {
    if (c === undefined) continue
    for (const v of (await c.get()).values) out[`${name}${v.labels.direction ? ':' + v.labels.direction : v.labels.reason ? ':' + v.labels.reason : v.labels.outcome ? ':' + v.labels.outcome : ''}`] = (out[`${name}${v.labels.direction ? ':' + v.labels.direction : v.labels.reason ? ':' + v.labels.reason : v.labels.outcome ? ':' + v.labels.outcome : ''}`] ?? 0) + v.value
  }
  return out
}
// LAT trace ("any" tasks): put request sent / received / acked per task with a t0 input, keyed by id.
const lat = { on: false, put: new Map() }
const { fromTuple } = await import('../../../dist/tasks/compact.js')
/** The ids of a tasks/put body's records that carry a t0 (its records are compact tuples, docs/tasks.md). */
const timedIds = body => (body?.records ?? []).map(t => fromTuple(t, body.peers ?? [])).filter(r => r?.input?.t0 !== undefined).map(r => r.id)
const onPut = messenger.handlers?.requests?.get('tasks/put')
if (onPut !== undefined) {
  messenger.handlers.requests.set('tasks/put', (from, body, opts) => {
    if (lat.on) { const t = nowMs(); for (const id of timedIds(body)) (lat.put.get(id) ?? lat.put.set(id, {}).get(id)).recv ??= t }
    return onPut(from, body, opts)
  })
}
/**
 * The task store's records by state, as the peer's view has them, and `uncommitted`: its writes not yet committed to
 * lmdb (queued, or in the commit under way). The view shows a write at once, before its commit (at the end of the
 * event-loop turn, or later for a lazy write); a drain that waits until every peer "stores" each task finished waits
 * for uncommitted 0 too.
 */
function countsNow () {
  const gc = peer.tasks?.tasks?.commits
  const uncommitted = gc === undefined ? 0 : gc.queued.size + (gc.flushing ? gc.committing.size : 0)
  return { ...peer.tasks.overview(0).counts, uncommitted }
}
/** The ids of a tasks/push body's records (compact tuples since session 22, whose first field is the id; FANOUT_TRACE had read `r.id` and found none). */
const pushedIds = body => (body?.records ?? []).map(t => Array.isArray(t) ? t[0] : t?.id).filter(id => typeof id === 'string')
const gossipSent = () => peer.tasks?.gossip?.sent ?? 0
// FANOUT_TRACE: lmdb puts and commits of the task store, and records received by push and gossip (the store and
// its group commit are private; the bench wraps the instance's db, not the source).
const io = { puts: 0, commits: 0, pushRecords: 0, gossipRecords: 0, commitMainCpuUs: 0, commitWallUs: 0 }
/** CPU ns this thread has run (the first field of /proc/thread-self/schedstat): the main thread's alone, unlike process.cpuUsage(). */
const threadCpuNs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0])
const taskDb = peer.tasks?.tasks?.commits?.db ?? peer.tasks?.tasks?.db
if (taskDb !== undefined) {
  const put = taskDb.put.bind(taskDb)
  taskDb.put = (...a) => { io.puts++; return put(...a) }
}
const gc = peer.tasks?.tasks?.commits
if (gc?.flush !== undefined) {
  const flush = gc.flush.bind(gc)
  // While tracing, also the main thread's CPU and the wall time inside each flush: an inline commit's puts, page
  // writes and sync; a background one's puts handed to lmdb's thread (its commit and sync run there).
  gc.flush = () => {
    const starts = gc.next !== undefined && !gc.flushing
    if (starts) io.commits++
    if (!starts || !trace.on) return flush()
    const c0 = threadCpuNs(); const t0 = nowMs()
    try { return flush() } finally { io.commitMainCpuUs += (threadCpuNs() - c0) / 1000; io.commitWallUs += (nowMs() - t0) * 1000 }
  }
}
const inbound = peer.tasks?.inbound
if (inbound?.deps?.merge !== undefined) {
  const merge = inbound.deps.merge
  inbound.deps.merge = (records) => { io.gossipRecords += records.length; return merge(records) }
}
for (const method of ['send', 'request']) {
  const original = messenger[method].bind(messenger)
  messenger[method] = (to, channel, ...rest) => {
    sent.set(channel, (sent.get(channel) ?? 0) + 1)
    const body = rest[0]
    if (lat.on && channel === 'tasks/put') {
      const t = nowMs(); const ids = timedIds(body)
      // The first put of a task is its replica put (sync pages later use the same channel).
      const first = ids.filter(id => lat.put.get(id)?.sent === undefined)
      for (const id of first) (lat.put.get(id) ?? lat.put.set(id, {}).get(id)).sent = t
      const p = original(to, channel, ...rest)
      if (first.length) p.then(() => { const a = nowMs(); for (const id of first) lat.put.get(id).acked = a }, () => {})
      return p
    }
    if (trace.on && channel === 'tasks/push') for (const id of pushedIds(body)) if (!trace.sent.has(`${id}|${to}`)) trace.sent.set(`${id}|${to}`, nowMs())
    if (channel.startsWith('lease')) sentLease.set(body?.t, (sentLease.get(body?.t) ?? 0) + 1)
    // Refusals this peer's acceptor sends back to a Propose (a renewal or an acquisition), by reason.
    if (body?.t === 'accepted') for (const r of body.rs) if (r.r !== 'ok') sentLease.set(`accepted:${r.r}`, (sentLease.get(`accepted:${r.r}`) ?? 0) + 1)
    return original(to, channel, ...rest)
  }
}

peer.leases.onChange(event => {
  if (event.type === 'acquired') process.send({ type: 'acquired', partition: event.partition, t: nowMs() })
  else process.send({ type: 'lost', partition: event.partition, t: nowMs() })
})

/** "noop" attempts this peer ran whose completion it has committed (troupe_tasks_completed_total). */
async function completedCount () {
  return (await peer.metrics.tasks.completed.get()).values.filter(v => v.labels.task === 'noop').reduce((a, v) => a + v.value, 0)
}

async function enqueueMany ({ name, n, inflight }) {
  let next = 0; let errors = 0; let firstError
  const t0 = nowMs()
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (next < n) {
      const i = next++
      try {
        await peer.tasks.enqueue(name, { i })
      } catch (err) {
        errors++
        firstError ??= String(err?.message ?? err)
      }
    }
  }))
  return { ms: nowMs() - t0, errors, firstError }
}

/** n tasks in batches of `chunk` through enqueueMany, one batch at a time (as the BullMQ side calls addBulk). */
async function enqueueBulk ({ name, n, chunk }) {
  let errors = 0; let firstError
  const t0 = nowMs()
  for (let i = 0; i < n; i += chunk) {
    const items = Array.from({ length: Math.min(chunk, n - i) }, (_, j) => ({ name, input: { i: i + j } }))
    try {
      await peer.tasks.enqueueMany(items)
    } catch (err) {
      errors += items.length
      firstError ??= String(err?.message ?? err)
    }
  }
  return { ms: nowMs() - t0, errors, firstError }
}

serve({
  status: () => {
    const s = peer.leases.status()
    return { id: peer.id, held: s.held.map(h => h.partition), cfg: s.cfg, voters: s.voters.length, members: peer.members().filter(m => m.state === 'alive').length }
  },
  enqueueMany,
  enqueueBulk,
  enqueueTimed: async ({ name }) => {
    const t0 = nowMs()
    const id = await peer.tasks.enqueue(name, { t0 })
    if (trace.on || lat.on) trace.enq.set(id, { t0, resolved: nowMs() })
    return id
  },
  latTrace: ({ on }) => {
    const out = { id: peer.id, put: [...lat.put], enq: [...trace.enq] }
    lat.on = on; lat.put.clear(); trace.enq.clear()
    return out
  },
  traceReset: async ({ eld } = {}) => {
    // FANOUT_PROF=<dir>: a CPU profile of this peer over the traced window only (written by `trace`).
    if (process.env.FANOUT_PROF && trace.session === undefined) trace.session = await startProfile('cpu')
    // HEAP_PROF=<dir>: a sampling allocation profile over the traced window, collected objects included (where the
    // garbage comes from, written by `trace`).
    if (process.env.HEAP_PROF && trace.heap === undefined) trace.heap = await startProfile('alloc', 8192)
    trace.on = true; trace.sent.clear(); trace.recv.clear(); trace.enq.clear()
    trace.cpu = process.cpuUsage(); trace.gossip0 = gossipSent(); trace.t0 = nowMs()
    trace.sent0 = new Map([...sent, ...[...sentLease].map(([k, v]) => [`lease:${k}`, v])]); trace.counters0 = await counters(); trace.io0 = { ...io }
    // The delay monitor wakes the loop every 5 ms (~200 wake-ups a second): `{ eld: false }` leaves it off, for idle CPU.
    trace.eld.disable(); trace.eld.reset(); if (eld !== false) trace.eld.enable()
    return true
  },
  trace: async () => {
    if (trace.session !== undefined) {
      await trace.session(`${process.env.FANOUT_PROF}/${peer.id.slice(-6)}-${process.pid}-${trace.windows = (trace.windows ?? 0) + 1}.cpuprofile`)
      trace.session = undefined
    }
    if (trace.heap !== undefined) {
      await trace.heap(`${process.env.HEAP_PROF}/${peer.id.slice(-6)}-${process.pid}-${trace.heapWindows = (trace.heapWindows ?? 0) + 1}.heapprofile`)
      trace.heap = undefined
    }
    const cpu = process.cpuUsage(trace.cpu)
    const ms = x => x / 1e6
    return {
      id: peer.id, wallMs: nowMs() - trace.t0, cpuMs: (cpu.user + cpu.system) / 1000, gossipSent: gossipSent() - trace.gossip0,
      eld: { p50: ms(trace.eld.percentile(50)), p99: ms(trace.eld.percentile(99)), max: ms(trace.eld.max) },
      sent: [...trace.sent], recv: [...trace.recv], enq: [...trace.enq],
      channels: Object.fromEntries([...sent, ...[...sentLease].map(([k, v]) => [`lease:${k}`, v])].map(([k, v]) => [k, v - (trace.sent0?.get(k) ?? 0)]).filter(([, v]) => v > 0)),
      io: Object.fromEntries(Object.entries(io).map(([k, v]) => [k, v - (trace.io0?.[k] ?? 0)])),
      counters: Object.fromEntries(Object.entries(await counters()).map(([k, v]) => [k, v - (trace.counters0?.[k] ?? 0)]).filter(([, v]) => v !== 0)),
    }
  },
  ran: () => ({ count: runs.count }),
  /**
   * What a driver polls a drain with, in one call: this peer's records by state, its "noop" runs and, when asked, its
   * committed completions (each a call of its own would be three IPC round trips per peer per poll).
   */
  progress: async ({ completed = false } = {}) => ({ counts: countsNow(), ran: runs.count, completed: completed ? await completedCount() : 0 }),
  /** Allocations of the next `ms` that are still alive after it, by site (what the scavenger copies), to `file`. */
  heapLive: async ({ ms, file }) => {
    const session = new Session(); session.connect()
    await session.post('HeapProfiler.enable')
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096 })
    await new Promise(resolve => setTimeout(resolve, ms))
    const { profile } = await session.post('HeapProfiler.stopSampling')
    writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
    return true
  },
  /** Starts a profile of this process (startProfile), written to `file` by `profileStop`. */
  profileStart: async ({ kind }) => {
    profiling.set(kind, await startProfile(kind))
    return true
  },
  profileStop: async ({ kind, file }) => {
    const stop = profiling.get(kind)
    if (stop === undefined) return false
    profiling.delete(kind)
    await stop(file)
    return true
  },
  /** ns per Date.now() over 100,000 calls (about 40 here; several times that while the CPU's upper vector state is dirty). */
  dateNowNs: () => { const t0 = process.hrtime.bigint(); let x = 0; for (let i = 0; i < 100_000; i++) x += Date.now(); return Number(process.hrtime.bigint() - t0) / 100_000 + (x < 0 ? 1 : 0) },
  pause: () => { peer.tasks.pause(); return true },
  resume: () => { peer.tasks.resume(); return true },
  /** The task store's sync digest (settled records): per partition, its record count and hash. */
  digest: () => peer.tasks.tasks.digest.body(),
  /** "noop" attempts this peer ran whose completion it has committed (troupe_tasks_completed_total). */
  completed: async () => ({ count: await completedCount() }),
  /** Records by state in this peer's store (the census: no scan). */
  taskCounts: () => countsNow(),
  ranIds: () => [...ran.entries()],
  /** GC pauses (start on this bench's clock, ms; duration ms; kind) while on; `on: false` returns and clears them. */
  gcTrace: ({ on }) => {
    const out = gcSeen.splice(0)
    if (on && gcObserver === undefined) {
      const offset = nowMs() - performance.now()
      gcObserver = new PerformanceObserver(list => { for (const e of list.getEntries()) gcSeen.push([e.startTime + offset, e.duration, e.detail?.kind]) })
      gcObserver.observe({ entryTypes: ['gc'] })
    } else if (!on && gcObserver !== undefined) { gcObserver.disconnect(); gcObserver = undefined }
    return out
  },
  resetRan: () => { ran.clear(); runs.count = 0; return true },
  /** `n` actor addresses whose partition this peer holds now. */
  localKeys: ({ n }) => {
    const out = []
    for (let i = 0; out.length < n && i < 1_000_000; i++) {
      const a = `bench/k${i}`
      if (peer.leases.held(peer.leases.partitionOf(a)) !== undefined) out.push(a)
    }
    return out
  },
  askLoop: async ({ addresses, handler, inflight, durationMs }) =>
    closedLoop(w => peer.actors.ask(addresses[w % addresses.length], handler), { inflight, durationMs }),
  sentByChannel: () => Object.fromEntries(sent),
  gossipStats: () => ({ sent: peer.tasks?.gossip?.sent ?? 0, dropped: peer.tasks?.gossip?.dropped ?? 0, superseded: peer.tasks?.gossip?.superseded ?? 0 }),
  leaseSentByType: () => Object.fromEntries(sentLease),
  memory: () => process.memoryUsage(),
})

process.once('SIGTERM', () => { peer.stop().finally(() => process.exit(0)) })
process.send({ type: 'ready', id: peer.id, multiaddr: peer.multiaddrs[0], httpUrl: peer.httpUrl })
