/* global process, console */
// Inclusive and self time per function (name url:line) of a .cpuprofile, idle excluded.
// Usage: node test/bench/bisect/incl.mjs <file.cpuprofile> [regex filter]; env N = rows (default 45).
import { readFileSync } from 'node:fs'
const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const filter = process.argv[3] ? new RegExp(process.argv[3]) : null
const byId = new Map(prof.nodes.map(n => [n.id, n]))
const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const self = new Map(); const incl = new Map()
const key = n => `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.replace(/.*\/(node_modules|dist)\//, '$1/')}:${n.callFrame.lineNumber + 1}`
let total = 0
prof.samples.forEach((id, i) => {
  const dt = prof.timeDeltas[i] ?? 0
  const n0 = byId.get(id)
  if (n0.callFrame.functionName === '(idle)') return
  total += dt
  self.set(key(n0), (self.get(key(n0)) ?? 0) + dt)
  const seen = new Set()
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur))
    if (seen.has(k)) continue
    seen.add(k)
    incl.set(k, (incl.get(k) ?? 0) + dt)
  }
})
const top = (m, n) => [...m].filter(([k]) => !filter || filter.test(k)).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`).join('\n')
console.log(`busy ${(total / 1e6).toFixed(2)} s\n-- inclusive`)
console.log(top(incl, Number(process.env.N ?? 45)))
console.log('-- self')
console.log(top(self, 30))
