/* global process, console */
// What each peer's main thread ran while the slowest single tasks of a latency block waited: reads the CPU profiles
// and task windows that `LAT_PROFILE=<dir> node test/bench/tasks.mjs` writes for the fresh cluster's block
// (p<i>.cpuprofile per peer, windows.json). A V8 profile's sample times and the bench's clock are both
// CLOCK_MONOTONIC, so each task's window (enqueue -> start) selects the samples taken meanwhile; the idle ones are
// left out, the rest summed by their 4 innermost frames. A frame that held the thread for milliseconds may also be
// where the process was descheduled (2 cores, several processes). Not part of `npm run bench`.
//
//   node test/bench/stall.mjs <dir>
//
// Env: TOP (15 slowest tasks), FRAMES (3 stacks per peer and task).
import { readFileSync, readdirSync } from 'node:fs'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: stall.mjs <dir written by LAT_PROFILE>')
const TOP = Number(process.env.TOP ?? 15)
const FRAMES = Number(process.env.FRAMES ?? 3)
const { windows, peerIds } = JSON.parse(readFileSync(`${dir}/windows.json`, 'utf8'))
const profiles = readdirSync(dir).filter(f => /^p\d+\.cpuprofile$/.test(f)).sort().map(f => {
  const p = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'))
  const nodes = new Map(p.nodes.map(n => [n.id, n]))
  const parent = new Map()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const times = []
  let t = p.startTime
  for (let i = 0; i < p.samples.length; i++) { t += p.timeDeltas[i]; times.push(t / 1000) }
  return { nodes, parent, samples: p.samples, times }
})
const frame = (prof, id) => prof.nodes.get(id).callFrame.functionName || '(anon)'
const stack = (prof, id) => {
  const out = []
  for (let x = id; x !== undefined && out.length < 4; x = prof.parent.get(x)) out.push(frame(prof, x))
  return out.join(' < ')
}
const slow = windows.map((w, i) => ({ ...w, i })).sort((a, b) => b.ms - a.ms).slice(0, TOP)
for (const w of slow) {
  console.log(`task #${w.i}: ${w.ms.toFixed(2)} ms, enqueued on p${w.from}, started on p${peerIds.indexOf(w.peer)}`)
  profiles.forEach((prof, k) => {
    const by = new Map()
    let busy = 0
    for (let i = 0; i < prof.samples.length; i++) {
      const t = prof.times[i]
      if (t < w.t0 || t > w.t0 + w.ms) continue
      const id = prof.samples[i]
      if (frame(prof, id) === '(idle)') continue
      const dt = (prof.times[i + 1] ?? t) - t
      busy += dt
      const key = stack(prof, id)
      by.set(key, (by.get(key) ?? 0) + dt)
    }
    const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, FRAMES).map(([k, v]) => `${v.toFixed(1)} ms ${k}`).join(' | ')
    console.log(`  p${k}: busy ${busy.toFixed(1)} ms${top ? `; ${top}` : ''}`)
  })
}
