/* global process, console */
// The long busy stretches of V8 CPU profiles: runs of samples with no idle one between them, at least MIN_MS long,
// each with the functions that took most of it. A stretch spent inside a call that takes microseconds (a socket
// write, a clock read) is time the thread was off the CPU. Not part of `npm run bench`.
//
//   BENCH_PROF=/tmp/lat PEER_NODE_FLAGS=--cpu-prof-interval=250 ROUNDS=0 WARMUP_ROUNDS=0 \
//     node --import ./dist/compat.js test/bench/tasks.mjs
//   node test/bench/long-stretches.mjs /tmp/lat/*.cpuprofile
//
// Env: MIN_MS (2), FNS (5: functions shown per stretch), TOP (40: stretches shown per profile, longest first), FROM_S
// (0: stretches that begin earlier into the profile are left out, e.g. a peer's start).
import { readFileSync } from 'node:fs'

const MIN_MS = Number(process.env.MIN_MS ?? 2)
const FNS = Number(process.env.FNS ?? 5)
const TOP = Number(process.env.TOP ?? 40)
const FROM_US = Number(process.env.FROM_S ?? 0) * 1e6
/** Frames every stretch has: the event loop's own. */
const LOOP = /^\(root\)|processTicksAndRejections|runMicrotasks|processImmediate|listOnTimeout|processTimers/

for (const file of process.argv.slice(2)) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map(n => [n.id, n]))
  const parent = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const name = id => { const c = byId.get(id).callFrame; return `${c.functionName || '(anon)'}:${c.url.replace(/.*\//, '')}:${c.lineNumber}` }
  const stretches = []
  let run = []
  const close = () => {
    const us = run.reduce((a, s) => a + s.us, 0)
    if (us >= MIN_MS * 1000 && run[0].at - prof.startTime >= FROM_US) stretches.push({ at: run[0].at, us, run })
    run = []
  }
  let t = prof.startTime
  prof.samples.forEach((id, i) => {
    t += prof.timeDeltas[i] ?? 0
    const fn = byId.get(id).callFrame.functionName
    if (fn === '(idle)' || fn === '(program)') { close(); return }
    // A sample stands for the time until the next one.
    run.push({ id, at: t, us: prof.timeDeltas[i + 1] ?? 0 })
  })
  close()
  const busyUs = stretches.reduce((a, s) => a + s.us, 0)
  console.log(`${file}: ${stretches.length} stretches of ${MIN_MS} ms or more, ${(busyUs / 1000).toFixed(0)} ms in all, over ${((t - prof.startTime) / 1e6).toFixed(1)} s`)
  for (const s of stretches.sort((a, b) => b.us - a.us).slice(0, TOP)) {
    const incl = new Map()
    for (const { id, us } of s.run) {
      const seen = new Set()
      for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
        const k = name(cur)
        if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) ?? 0) + us) }
      }
    }
    const top = [...incl].filter(([k]) => !LOOP.test(k)).sort((a, b) => b[1] - a[1]).slice(0, FNS)
    console.log(`  +${((s.at - prof.startTime) / 1000).toFixed(0)} ms: ${(s.us / 1000).toFixed(1)} ms  ${top.map(([k, us]) => `${k} ${(us / 1000).toFixed(1)}`).join(' | ')}`)
  }
}
