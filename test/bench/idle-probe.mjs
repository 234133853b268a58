/* global process, console */
// What idle peers do (a 3-peer cluster, nothing enqueued; PEERS for another size), for the enqueue-to-start tail: per
// peer, its CPU, event-loop delay (ELD=1) and messages sent by channel over IDLE_MS (10000) after SETTLE_MS (4000). Not part of
// `npm run bench`. Also prints, from /proc and without the profiler's own cost, what the peers' main threads and
// their other threads burn (% of a core, per peer, median and range) and how often their threads wait (voluntary
// context switches: each a wake-up) or are preempted, per second.
//
//   node --import ./dist/compat.js test/bench/idle-probe.mjs
//
// PROFILE=<dir>: a CPU profile of each peer over the idle window. With PEER_NODE_FLAGS=--trace-gc (session 20): about
// 24 s after start V8's memory reducer runs two mark-compacts per peer whose incremental steps hold the event loop up
// to 11-15 ms, the longest stretches an idle peer spends away from its sockets.
import { startCluster } from './lib/cluster.mjs'
import { processCpu } from './lib/proc.mjs'
import { nowMs, percentile, sleep } from './lib/stats.mjs'
const cluster = await startCluster(Number(process.env.PEERS ?? 3), { tasks: { concurrency: 50 } })
await sleep(Number(process.env.SETTLE_MS ?? 4000))
const peers = cluster.peers
// ELD=1: also the event-loop delay (its monitor wakes each peer ~200 times a second, which the CPU lines then include).
const ELD = process.env.ELD === '1'
await Promise.all(peers.map(p => p.call('traceReset', { eld: ELD })))
const c0 = peers.map(p => processCpu(p.child.pid)); const t0 = nowMs()
if (process.env.PROFILE) await Promise.all(peers.map(p => p.call('profileStart', { kind: 'cpu' })))
await sleep(Number(process.env.IDLE_MS ?? 10000))
const c1 = peers.map(p => processCpu(p.child.pid)); const wallMs = nowMs() - t0
if (process.env.PROFILE) await Promise.all(peers.map((p, i) => p.call('profileStop', { kind: 'cpu', file: `${process.env.PROFILE}/idle-p${i}.cpuprofile` })))
for (const t of await Promise.all(peers.map(p => p.call('trace')))) console.log(JSON.stringify({ cpuMs: Math.round(t.cpuMs), ...(ELD ? { eld: t.eld } : {}), channels: t.channels }))
const per = f => c1.map((c, i) => f(c, c0[i]))
const show = (label, xs, unit) => console.log(`${label}: median ${percentile(xs, 50).toFixed(2)}${unit} (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}) per peer`)
show('main thread, % of a core', per((c, b) => (c.main - b.main) / (wallMs * 10)), '%')
show('other threads, % of a core', per((c, b) => (c.other - b.other) / (wallMs * 10)), '%')
show('kernel, % of a core', per((c, b) => (c.system - b.system) / (wallMs * 10)), '%')
show('wake-ups (voluntary context switches) /s', per((c, b) => (c.vcsw - b.vcsw) / wallMs * 1000), '')
show('preempted /s', per((c, b) => (c.ivcsw - b.ivcsw) / wallMs * 1000), '')
await cluster.stop()
process.exit(0)
