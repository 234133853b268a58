/* global process, console */
// Pair 4: an "all" task's fan-out: time from enqueue until every peer has
// started it, with 3, 5 and 10 peers (one process each). One task at a time,
// 20 ms apart, enqueued from each peer in turn.
import { startCluster } from './lib/cluster.mjs'
import { watchdog } from './lib/proc.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { nowMs, percentile, sleep } from './lib/stats.mjs'

const SIZES = (process.env.FANOUT_PEERS ?? '3,5,10').split(',').map(Number)
const SAMPLES = envInt('FANOUT_SAMPLES', 100)
watchdog(SIZES.length * (120_000 + SAMPLES * 6_000), 'fanout')

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
  for (let i = 0; i < 10; i++) await one(i) // warmup
  const last = []; let missing = 0
  for (let i = 0; i < SAMPLES; i++) {
    const r = await one(i)
    if (r.missing) missing += r.missing; else last.push(r.last)
    await sleep(20)
  }
  const row = { peers: n, samples: last.length, missing, formedMs: cluster.formedMs, p50: percentile(last, 50), p99: percentile(last, 99), max: Math.max(...last) }
  rows.push(row)
  console.log(`${n} peers (formed in ${(cluster.formedMs / 1000).toFixed(1)} s): every peer started in p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, max ${row.max.toFixed(2)} ms; ${missing} peer-runs missing after 5 s`)
  await cluster.stop()
}
writeResult('fanout', { samples: SAMPLES, rows })
process.exit(0)
