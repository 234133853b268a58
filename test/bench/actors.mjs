/* global process, console, URL */
// Pair 2: actor asks between two Troupe peers (two processes; the loop runs in
// the caller peer's process) vs Moleculer remote calls between two brokers
// (two processes; the loop runs in the caller broker's process). Read-only
// handler ("get") for the messaging comparison; state-changing ("add": saved
// and replicated before the reply) and local asks reported alongside.
// Each caller in flight talks to its own actor (100 actors at 100 in flight).
import { fileURLToPath } from 'node:url'
import { startCluster } from './lib/cluster.mjs'
import { freePort } from './lib/ports.mjs'
import { startChild, stopAll, watchdog } from './lib/proc.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { nowMs, sleep, summarize } from './lib/stats.mjs'

const ROUNDS = envInt('ROUNDS', 3)
const DURATION_MS = envInt('DURATION', 3) * 1000
watchdog(ROUNDS * 12 * DURATION_MS + 120_000, 'actors')

const cluster = await startCluster(2)
const [host, caller] = cluster.peers
// Right after the cluster forms the caller may hold no partition yet: its
// share is handed over in the next seconds. Keys picked before that would
// turn local under the "remote" rows, so wait (bounded) until both peers hold
// partitions and the split has not changed for 2 s, then pick them.
for (let tries = 0, stableSince = nowMs(), last = ''; ; tries++) {
  const split = (await Promise.all([host, caller].map(p => p.call('status')))).map(s => s.held.length).join('/')
  if (split !== last) { last = split; stableSince = nowMs() }
  if (!split.split('/').includes('0') && nowMs() - stableSince >= 2_000) break
  if (tries >= 300) throw new Error(`partitions still moving after 30 s (host/caller: ${split})`)
  await sleep(100)
}
const remote = await host.call('localKeys', { n: 100 })
const local = await caller.call('localKeys', { n: 100 })
const mol = fileURLToPath(new URL('./actors-moleculer.mjs', import.meta.url))
const molPorts = { MOL_PORT_SRV: String(await freePort()), MOL_PORT_CLI: String(await freePort()) }
await startChild(mol, { env: { ...molPorts, MOL_ROLE: 'srv' } })
const molCli = await startChild(mol, { env: { ...molPorts, MOL_ROLE: 'cli' } })

const cases = {
  'troupe remote ask get': n => caller.call('askLoop', { addresses: remote, handler: 'get', inflight: n, durationMs: DURATION_MS }),
  'moleculer remote call': n => molCli.call('callLoop', { action: 'bench.echo', inflight: n, durationMs: DURATION_MS }),
  'troupe remote ask add (saved + replicated)': n => caller.call('askLoop', { addresses: remote, handler: 'add', inflight: n, durationMs: DURATION_MS }),
  'troupe local ask get': n => caller.call('askLoop', { addresses: local, handler: 'get', inflight: n, durationMs: DURATION_MS }),
  'moleculer local call': n => molCli.call('callLoop', { action: 'local.echo', inflight: n, durationMs: DURATION_MS }),
}
const PAIR = ['troupe remote ask get', 'moleculer remote call']
const INFLIGHT = [1, 100]
// Warmup, not counted.
for (const run of Object.values(cases)) await run(10)

const runs = {}
for (let r = 0; r < ROUNDS; r++) {
  for (const n of INFLIGHT) {
    const names = r % 2 === 0 ? Object.keys(cases) : [PAIR[1], PAIR[0], ...Object.keys(cases).slice(2)]
    for (const name of names) {
      const res = await cases[name](n)
      ;((runs[name] ??= {})[n] ??= []).push(res)
      console.log(`round ${r + 1} ${name.padEnd(42)} ${String(n).padStart(3)} in flight: ${Math.round(res.perSec)}/s, p50 ${res.p50?.toFixed(3)} ms, p99 ${res.p99?.toFixed(3)} ms, errors ${res.errors}${res.firstError ? ` (${res.firstError})` : ''}`)
    }
  }
}
await stopAll()
await cluster.stop()

const rows = []
for (const name of Object.keys(cases)) {
  for (const n of INFLIGHT) {
    const rs = runs[name][n]
    const base = runs[PAIR[1]][n]
    rows.push({
      name, inflight: n,
      perSec: summarize(rs.map(x => x.perSec)), p50: summarize(rs.map(x => x.p50)), p99: summarize(rs.map(x => x.p99)),
      vsMoleculerRemote: summarize(rs.map((x, i) => x.perSec / base[i].perSec)),
      errors: rs.reduce((a, x) => a + x.errors, 0),
    })
  }
}
writeResult('actors', { rounds: ROUNDS, durationMs: DURATION_MS, processes: 'two processes per system; the loop runs in the caller process', rows })
process.exit(0)
