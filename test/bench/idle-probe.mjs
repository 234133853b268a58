/* global process, console */
// What idle peers do (a 3-peer cluster, nothing enqueued; PEERS for another size), for the enqueue-to-start tail: per
// peer, its CPU, event-loop delay and messages sent by channel over IDLE_MS (10000) after SETTLE_MS (4000). Not part of
// `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/idle-probe.mjs
//
// PROFILE=<dir>: a CPU profile of each peer over the idle window. With PEER_NODE_FLAGS=--trace-gc (session 20): about
// 24 s after start V8's memory reducer runs two mark-compacts per peer whose incremental steps hold the event loop up
// to 11-15 ms, the longest stretches an idle peer spends away from its sockets.
import { startCluster } from './lib/cluster.mjs'
import { sleep } from './lib/stats.mjs'
const cluster = await startCluster(Number(process.env.PEERS ?? 3), { tasks: { concurrency: 50 } })
await sleep(Number(process.env.SETTLE_MS ?? 4000))
const peers = cluster.peers
await Promise.all(peers.map(p => p.call('traceReset')))
if (process.env.PROFILE) await Promise.all(peers.map(p => p.call('profileStart', { kind: 'cpu' })))
await sleep(Number(process.env.IDLE_MS ?? 10000))
if (process.env.PROFILE) await Promise.all(peers.map((p, i) => p.call('profileStop', { kind: 'cpu', file: `${process.env.PROFILE}/idle-p${i}.cpuprofile` })))
for (const t of await Promise.all(peers.map(p => p.call('trace')))) console.log(JSON.stringify({ cpuMs: Math.round(t.cpuMs), eld: t.eld, channels: t.channels }))
await cluster.stop()
process.exit(0)
