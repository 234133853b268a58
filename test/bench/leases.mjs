/* global process, console */
// Pair 6: leases on 3 peers (3 processes; leaseMs 1,500, renew every 500 ms,
// 256 partitions by default). Lease rounds and keys (partition entries) per
// round come from each peer's GET /metrics (troupe_lease_rounds_total,
// troupe_lease_round_entries_total, troupe_lease_acquired_total); messages
// from wrapping each peer's messenger instance. Per round, a fresh cluster:
//   1. formation: start -> every partition placed and no acquisition for 1.5 s;
//   2. idle: 5 s with nothing to do (renewals only);
//   3. churn: one peer stops gracefully (releases, leaves the voters) and
//      restarts on its data dir, until placement is quiet again;
//   4. crash: SIGKILL another peer, time until its partitions are acquired
//      elsewhere (first and last), and the rounds of that window.
// The restarted peer and the victim rotate. Every phase is bounded in time.
import { LEASE, MEMBERSHIP, startCluster, startPeer } from './lib/cluster.mjs'
import { watchdog } from './lib/proc.mjs'
import { diff, scrape, sum } from './lib/prom.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { nowMs, sleep, summarize } from './lib/stats.mjs'

const ROUNDS = envInt('ROUNDS', 3)
const PARTITIONS = envInt('LEASE_PARTITIONS', 256)
const N = 3
const IDLE_MS = 5_000
/** Placement is settled when no acquisition or handover was seen for this long (and every peer holds some). */
const QUIET_MS = 1_500
const SETTLE_MAX_MS = 40_000
const TAKEOVER_MAX_MS = 20_000
const POLL_MS = 200
const lease = { ...LEASE, partitions: PARTITIONS }
// run.mjs stops the pair after 5 minutes; stay under it.
watchdog(Math.min(ROUNDS * 90_000 + 20_000, 290_000), 'leases')

const ROUNDS_TOTAL = 'troupe_lease_rounds_total'
const ENTRIES_TOTAL = 'troupe_lease_round_entries_total'
const ACQUIRED_TOTAL = 'troupe_lease_acquired_total'
const HANDOVERS_TOTAL = 'troupe_lease_handovers_total'

const scrapeAll = peers => Promise.all(peers.map(p => scrape(p.ready.httpUrl)))
/** The highest voter config number the peers have adopted. */
const cfgOf = async peers => Math.max(...(await Promise.all(peers.map(p => p.call('status')))).map(s => s.cfg))

/** Rounds, rounds/s, keys per round, acquisitions and handovers of a phase of `ms` whose counters moved by `d`. */
function phase (d, ms) {
  const rounds = d[ROUNDS_TOTAL] ?? 0
  return {
    ms, rounds, roundsPerSec: rounds / (ms / 1000), entries: d[ENTRIES_TOTAL] ?? 0,
    keysPerRound: rounds > 0 ? (d[ENTRIES_TOTAL] ?? 0) / rounds : NaN,
    acquired: d[ACQUIRED_TOTAL] ?? 0, handovers: d[HANDOVERS_TOTAL] ?? 0,
    byReason: Object.fromEntries(['released', 'expired', 'config', 'refused'].map(r => [r, d[`${HANDOVERS_TOTAL}{reason="${r}"}`] ?? 0])),
  }
}

/**
 * Polls status and /metrics until every partition is held, every peer sees N
 * members and holds some, and no peer's acquired/handover counts moved for
 * QUIET_MS. Returns the scrapes (and time) of the poll that saw the last move.
 */
async function settle (peers, t0, n = N) {
  let lastKey; let last
  while (true) {
    const [statuses, scrapes] = await Promise.all([Promise.all(peers.map(p => p.call('status'))), scrapeAll(peers)])
    const t = nowMs()
    const key = scrapes.map(s => `${s[ACQUIRED_TOTAL] ?? 0}/${s[HANDOVERS_TOTAL] ?? 0}`).join(' ')
    const placed = new Set(statuses.flatMap(s => s.held)).size === PARTITIONS && statuses.every(s => s.members === n && s.held.length > 0)
    if (key !== lastKey) { lastKey = key; last = { t, scrapes } } else if (placed && t - last.t >= QUIET_MS) return { ...last, cfg: Math.max(...statuses.map(s => s.cfg)) }
    if (t - t0 > SETTLE_MAX_MS) throw new Error(`placement not quiet after ${SETTLE_MAX_MS} ms (${key}; placed: ${placed})`)
    await sleep(POLL_MS)
  }
}

const f0 = x => Number.isFinite(x) ? x.toFixed(0) : 'n/a'
const f1 = x => Number.isFinite(x) ? x.toFixed(1) : 'n/a'
const line = p => `${p.rounds} rounds in ${(p.ms / 1000).toFixed(1)} s (${f1(p.roundsPerSec)}/s), ${f1(p.keysPerRound)} keys/round, ${p.acquired} acquisitions, ${p.handovers} handovers ${JSON.stringify(p.byReason)}${p.configs === undefined ? '' : `, ${p.configs} voter config(s)`}`

const runs = []
for (let r = 0; r < ROUNDS; r++) {
  const run = { error: undefined }
  const t0 = nowMs()
  let cluster
  try {
    cluster = await startCluster(N, { http: true, lease, membership: MEMBERSHIP })
  } catch (err) {
    runs.push({ error: String(err?.message ?? err) })
    console.log(`round ${r + 1}: ${runs.at(-1).error}`)
    continue
  }
  const peers = cluster.peers
  try {
    // 1. Formation: counters start at 0 in fresh processes.
    const formed = await settle(peers, t0)
    run.formation = { ...phase(sum(formed.scrapes), formed.t - t0), formedMs: cluster.formedMs, configs: formed.cfg }

    // 2. Idle.
    const sentBefore = await Promise.all(peers.map(p => p.call('sentByChannel')))
    const typesBefore = await Promise.all(peers.map(p => p.call('leaseSentByType')))
    const idle0 = await scrapeAll(peers); const ti0 = nowMs()
    await sleep(IDLE_MS)
    const sentAfter = await Promise.all(peers.map(p => p.call('sentByChannel')))
    const typesAfter = await Promise.all(peers.map(p => p.call('leaseSentByType')))
    const idle1 = await scrapeAll(peers); const idleMs = nowMs() - ti0
    const sentDelta = ch => sentAfter.reduce((a, s, i) => a + (s[ch] ?? 0) - (sentBefore[i][ch] ?? 0), 0)
    const allSent = sentAfter.reduce((a, s, i) => a + Object.entries(s).reduce((b, [ch, n]) => b + n - (sentBefore[i][ch] ?? 0), 0), 0)
    run.idle = {
      ...phase(sum(idle1.map((s, i) => diff(s, idle0[i]))), idleMs),
      holders: (await Promise.all(peers.map(p => p.call('status')))).filter(s => s.held.length > 0).length,
      leaseMsgsPerSec: sentDelta('lease/1') / (idleMs / 1000),
      configMsgsPerSec: sentDelta('lease-cfg/1') / (idleMs / 1000),
      allMsgsPerSec: allSent / (idleMs / 1000),
      leaseMsgsByType: sum(typesAfter.map((s, i) => diff(s, typesBefore[i]))),
    }
    const byType = run.idle.leaseMsgsByType; const perSec = n => n / (idleMs / 1000)
    run.idle.roundMsgsPerSec = perSec((byType.propose ?? 0) + (byType.accepted ?? 0))
    run.idle.prepareMsgsPerSec = perSec((byType.prepare ?? 0) + (byType.promise ?? 0))
    run.idle.refusedPerSec = perSec(Object.entries(byType).filter(([k]) => k.startsWith('accepted:')).reduce((a, [, n]) => a + n, 0))

    // 3. Churn: peer k stops gracefully and restarts on its data dir. The old
    // process's counters end with it: its share after `churn0` is not counted.
    const k = (r + 1) % N
    const churn0 = await scrapeAll(peers); const cfg0 = await cfgOf(peers); const tc0 = nowMs()
    await peers[k].stop()
    peers[k] = await startPeer({ seeds: [peers[k === 0 ? 1 : 0].ready.multiaddr], http: true, lease, membership: MEMBERSHIP, dataDir: peers[k].dataDir })
    const churned = await settle(peers, tc0)
    run.churn = { restarted: k, ...phase(sum(churned.scrapes.map((s, i) => i === k ? s : diff(s, churn0[i]))), churned.t - tc0), configs: churned.cfg - cfg0 }

    // 4. Crash: SIGKILL the victim, time its partitions' takeover.
    const victim = r % N
    const survivors = peers.filter((_, i) => i !== victim)
    const lost = new Set((await peers[victim].call('status')).held)
    // Every acquisition of a lost partition: the first, and the last (a
    // fallback may take one and hand it back before the victim is seen dead).
    const taken = new Map(); const retaken = new Map()
    for (const p of survivors) {
      p.on('acquired', msg => {
        if (!lost.has(msg.partition)) return
        if (!taken.has(msg.partition)) taken.set(msg.partition, msg.t)
        retaken.set(msg.partition, msg.t)
      })
    }
    const crash0 = await scrapeAll(survivors); const cfgK = await cfgOf(survivors)
    const tKill = nowMs()
    peers[victim].kill()
    while (taken.size < lost.size && nowMs() - tKill < TAKEOVER_MAX_MS) await sleep(5)
    const ts = [...taken.values()].map(t => t - tKill)
    run.crash = { victim, partitionsLost: lost.size, takenOver: taken.size, firstMs: Math.min(...ts), lastMs: Math.max(...ts) }
    const quiet = await settle(survivors, tKill, N - 1)
    const held = new Set((await Promise.all(survivors.map(p => p.call('status')))).flatMap(s => s.held))
    Object.assign(run.crash, {
      stableMs: Math.max(...[...retaken.values()].map(t => t - tKill)), heldAtEnd: [...lost].filter(p => held.has(p)).length,
      ...phase(sum(quiet.scrapes.map((s, i) => diff(s, crash0[i]))), quiet.t - tKill), configs: quiet.cfg - cfgK,
    })
  } catch (err) {
    run.error = String(err?.message ?? err)
  }
  runs.push(run)
  if (run.error) console.log(`round ${r + 1}: ${run.error}`)
  if (run.formation) console.log(`round ${r + 1}: formation ${line(run.formation)} (all placed after ${f0(run.formation.formedMs)} ms)`)
  if (run.idle) console.log(`round ${r + 1}: idle ${line(run.idle)}; ${run.idle.holders} holders; lease messages ${f0(run.idle.leaseMsgsPerSec)}/s (propose + accepted ${f0(run.idle.roundMsgsPerSec)}/s, prepare + promise ${f0(run.idle.prepareMsgsPerSec)}/s, refused entries ${f0(run.idle.refusedPerSec)}/s: ${JSON.stringify(run.idle.leaseMsgsByType)}) (+ ${f0(run.idle.configMsgsPerSec)}/s config; all channels ${f0(run.idle.allMsgsPerSec)}/s)`)
  if (run.churn) console.log(`round ${r + 1}: restart of peer ${run.churn.restarted}: ${line(run.churn)}`)
  if (run.crash) console.log(`round ${r + 1}: killed peer ${run.crash.victim} holding ${run.crash.partitionsLost} partitions: first taken over after ${f0(run.crash.firstMs)} ms, all ${run.crash.takenOver} after ${f0(run.crash.lastMs)} ms, last (re)acquisition after ${f0(run.crash.stableMs)} ms (${run.crash.heldAtEnd} held at the end); ${line(run.crash)}`)
  await cluster.stop()
}

const ok = runs.filter(r => r.crash !== undefined)
const pick = (name, field) => summarize(runs.filter(r => r[name] !== undefined).map(r => r[name][field]))
const phaseSummary = name => Object.fromEntries(['ms', 'rounds', 'roundsPerSec', 'keysPerRound', 'acquired', 'handovers'].map(f => [f, pick(name, f)]))
writeResult('leases', {
  rounds: ROUNDS, lease, peers: N, idleMs: IDLE_MS, quietMs: QUIET_MS,
  formation: { ...phaseSummary('formation'), formedMs: pick('formation', 'formedMs'), configs: pick('formation', 'configs') },
  idle: { ...phaseSummary('idle'), ...Object.fromEntries(['holders', 'leaseMsgsPerSec', 'roundMsgsPerSec', 'prepareMsgsPerSec', 'refusedPerSec', 'configMsgsPerSec', 'allMsgsPerSec'].map(f => [f, pick('idle', f)])) },
  churn: { ...phaseSummary('churn'), configs: pick('churn', 'configs') },
  crash: { ...phaseSummary('crash'), partitionsLost: pick('crash', 'partitionsLost'), configs: pick('crash', 'configs') },
  firstMs: pick('crash', 'firstMs'), lastMs: pick('crash', 'lastMs'), stableMs: pick('crash', 'stableMs'),
  incomplete: ok.filter(r => r.crash.takenOver < r.crash.partitionsLost).length,
  errors: runs.filter(r => r.error).map(r => r.error),
  runs,
})
process.exit(0)
