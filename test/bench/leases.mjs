/* global process, console */
// Pair 6: leases on 3 peers (3 processes; leaseMs 1,500, renew every 500 ms,
// 64 partitions). Renew traffic: lease messages sent per second over 5 s of
// idle. Takeover: SIGKILL a holder, time until its partitions are acquired
// elsewhere (first and last). A fresh cluster each round; the victim rotates.
import { LEASE, startCluster } from './lib/cluster.mjs'
import { watchdog } from './lib/proc.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { nowMs, sleep, summarize } from './lib/stats.mjs'

const ROUNDS = envInt('ROUNDS', 3)
const WINDOW_MS = 5_000
watchdog(ROUNDS * 90_000 + 30_000, 'leases')

const runs = []
for (let r = 0; r < ROUNDS; r++) {
  const cluster = await startCluster(3)
  const peers = cluster.peers
  await sleep(2_000)
  const before = await Promise.all(peers.map(p => p.call('sentByChannel')))
  await sleep(WINDOW_MS)
  const after = await Promise.all(peers.map(p => p.call('sentByChannel')))
  const leaseMsgs = after.reduce((a, s, i) => a + (s['lease/1'] ?? 0) - (before[i]['lease/1'] ?? 0), 0)
  const allMsgs = after.reduce((a, s, i) => a + Object.entries(s).reduce((b, [ch, n]) => b + n - (before[i][ch] ?? 0), 0), 0)

  const victim = r % peers.length
  const lost = new Set((await peers[victim].call('status')).held)
  const taken = new Map()
  for (const [i, p] of peers.entries()) {
    if (i !== victim) p.on('acquired', msg => { if (lost.has(msg.partition) && !taken.has(msg.partition)) taken.set(msg.partition, msg.t) })
  }
  const tKill = nowMs()
  peers[victim].kill()
  while (taken.size < lost.size && nowMs() - tKill < 20_000) await sleep(5)
  const ts = [...taken.values()].map(t => t - tKill)
  const run = {
    leaseMsgsPerSec: leaseMsgs / (WINDOW_MS / 1000), allMsgsPerSec: allMsgs / (WINDOW_MS / 1000),
    partitionsLost: lost.size, takenOver: taken.size, firstMs: Math.min(...ts), lastMs: Math.max(...ts),
  }
  runs.push(run)
  console.log(`round ${r + 1}: lease messages ${Math.round(run.leaseMsgsPerSec)}/s (all peers; all channels ${Math.round(run.allMsgsPerSec)}/s); killed peer ${victim} holding ${lost.size} partitions: first taken over after ${run.firstMs.toFixed(0)} ms, all ${taken.size} after ${run.lastMs.toFixed(0)} ms`)
  await cluster.stop()
}
writeResult('leases', {
  rounds: ROUNDS, lease: LEASE,
  leaseMsgsPerSec: summarize(runs.map(r => r.leaseMsgsPerSec)), allMsgsPerSec: summarize(runs.map(r => r.allMsgsPerSec)),
  firstMs: summarize(runs.map(r => r.firstMs)), lastMs: summarize(runs.map(r => r.lastMs)),
  incomplete: runs.filter(r => r.takenOver < r.partitionsLost).length,
})
process.exit(0)
