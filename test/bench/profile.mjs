/* global process, console */
// Self time of a V8 .cpuprofile grouped by where the code lives: a package in
// node_modules, a folder of dist/, node internals, GC, idle. Usage:
//   BENCH_PROF=/tmp/prof npm run bench -- --only actors   (each peer writes a profile)
//   node test/bench/profile.mjs /tmp/prof/*.cpuprofile
import { readFileSync } from 'node:fs'

function group (url, name) {
  if (!url) return name.startsWith('(') ? name : `(native) ${name}`
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm) return nm[1]
  const d = /\/dist\/([^/]+)/.exec(url)
  if (d) return `troupe ${d[1]}/`
  if (url.startsWith('node:')) return 'node internals'
  return url.replace(/^file:\/\//, '')
}

for (const file of process.argv.slice(2)) {
  const prof = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map(n => [n.id, n]))
  const self = new Map()
  const fns = new Map()
  prof.samples.forEach((id, i) => {
    const n = byId.get(id); const dt = prof.timeDeltas[i] ?? 0
    const g = group(n.callFrame.url, n.callFrame.functionName)
    self.set(g, (self.get(g) ?? 0) + dt)
    const f = `${n.callFrame.functionName || '(anon)'} ${g}`
    fns.set(f, (fns.get(f) ?? 0) + dt)
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const busy = total - (self.get('(idle)') ?? 0)
  console.log(`\n${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy`)
  const top = (m, k) => [...m].filter(([g]) => g !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, k)
  for (const [g, t] of top(self, 14)) console.log(`  ${(100 * t / busy).toFixed(1).padStart(5)}%  ${g}`)
  console.log('  top functions:')
  for (const [f, t] of top(fns, 10)) console.log(`  ${(100 * t / busy).toFixed(1).padStart(5)}%  ${f}`)
}
