/* global process, console, URL */
// A/B of several servers kept running side by side, measured in short
// alternating windows (the box is shared and noisy: alternating many short
// windows and taking medians beats one long run per server). Per window: req/s
// and the server's CPU per request (user + sys, /proc/<pid>/stat).
//   SERVERS  comma list of name=kind[@tree]; kind: hono (actions-hono.mjs), peer (as the actions pair's
//            startPeer({ http: true })) or a step-server step; tree: a checkout with its own dist/ (default this one);
//            then `+NAME=value` sets an environment variable of a peer (e.g. new=peer+TROUPE_STARTUP_GC=0).
//   CONNS (1,50), CYCLES (6), WINDOW seconds (2), SERVER_ARGV (node flags for every server).
// Usage: SERVERS=hono=hono,new=peer,base=peer@/tmp/base node --import ./dist/compat.js test/bench/bisect/alt.mjs
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SPEED_LEASE, SPEED_MEMBERSHIP } from '../lib/cluster.mjs'
import { startChild, stopAll, track, watchdog } from '../lib/proc.mjs'
import { sleep } from '../lib/stats.mjs'

const HERE = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const CONNS = (process.env.CONNS ?? '1,50').split(',').map(Number)
const EXEC_ARGV = process.env.SERVER_ARGV ? process.env.SERVER_ARGV.split(' ') : []
const CYCLES = Number(process.env.CYCLES ?? 6)
const WINDOW = Number(process.env.WINDOW ?? 2)
const SERVERS = (process.env.SERVERS ?? 'hono=hono,peer=peer').split(',').map(s => {
  const [name, ...rest] = s.split('=')
  const [head, ...envs] = rest.join('=').split('+')
  const [kind, tree = HERE] = head.split('@')
  return { name, kind, tree, env: Object.fromEntries(envs.map(e => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) }
})
watchdog((CYCLES * SERVERS.length * CONNS.length * (WINDOW + 1) + 120) * 1000, 'alt')

function cpu (pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}
const cannon = (url, connections, duration) => new Promise((resolve, reject) => {
  autocannon({ url, connections, duration, pipelining: 1 }, (err, res) => { if (err) reject(err); else resolve(res.requests.total) })
})

async function start ({ kind, tree, env: extra }) {
  const compat = join(tree, 'dist/compat.js')
  if (kind === 'hono') return startChild(join(tree, 'test/bench/actions-hono.mjs'), { execArgv: EXEC_ARGV })
  if (kind === 'peer') {
    const env = { ...extra, BENCH_PEER: JSON.stringify({ seeds: [], dataDir: mkdtempSync(join(tmpdir(), 'troupe-alt-')), http: true, lease: SPEED_LEASE, membership: SPEED_MEMBERSHIP, tasks: {} }) }
    return startChild(join(tree, 'test/bench/lib/peer-child.mjs'), { env, execArgv: ['--import', compat, ...EXEC_ARGV] })
  }
  return startChild(join(tree, 'test/bench/bisect/step-server.mjs'), { env: { STEP: kind }, execArgv: ['--import', compat, ...EXEC_ARGV] })
}

const servers = []
for (const s of SERVERS) {
  const h = await start(s)
  servers.push({ ...s, h, url: `${h.ready.httpUrl}/api/hello?name=x`, runs: Object.fromEntries(CONNS.map(c => [c, []])) })
}
await sleep(1500)
for (const s of servers) await cannon(s.url, 50, 2)
// ATTACH: a command run over all measured windows, `{pids}` replaced by the servers' pids (comma list),
// e.g. ATTACH='perf record -q -F 2000 -g -o /tmp/x.data -p {pids}'; stopped by SIGINT.
let attached
if (process.env.ATTACH) {
  const [cmd, ...args] = process.env.ATTACH.replaceAll('{pids}', servers.map(s => s.h.pid).join(',')).split(' ')
  attached = track(spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] }))
  await sleep(500)
}
for (let cycle = 0; cycle < CYCLES; cycle++) {
  for (const conns of CONNS) {
    // Rotate the order every cycle.
    for (let i = 0; i < servers.length; i++) {
      const s = servers[(i + cycle) % servers.length]
      const a = cpu(s.h.pid)
      const n = await cannon(s.url, conns, WINDOW)
      const b = cpu(s.h.pid)
      s.runs[conns].push({ rps: n / WINDOW, us: (b - a) * 1e6 / n })
    }
  }
  process.stderr.write('.')
}
process.stderr.write('\n')
if (attached) { attached.kill('SIGINT'); await new Promise(resolve => attached.once('exit', resolve)) }
for (const s of servers) console.log(`${s.name} pid ${s.h.pid} requests ${Object.values(s.runs).flat().reduce((a, x) => a + x.rps * WINDOW, 0)}`)
await stopAll()
const med = xs => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }
const ref = servers[0]
for (const conns of CONNS) {
  for (const s of servers) {
    const r = s.runs[conns]
    // Ratio of req/s against the first server in the same cycle (adjacent windows), then the median.
    const ratio = med(r.map((x, i) => x.rps / ref.runs[conns][i].rps))
    const usr = med(r.map((x, i) => ref.runs[conns][i].us / x.us))
    console.log(`${s.name.padEnd(8)} ${String(conns).padStart(2)}c  req/s med ${Math.round(med(r.map(x => x.rps)))} (x${ratio.toFixed(2)} of ${ref.name})  cpu µs/req med ${med(r.map(x => x.us)).toFixed(1)} min ${Math.min(...r.map(x => x.us)).toFixed(1)}  (${ref.name}/this ${usr.toFixed(2)})`)
  }
}
process.exit(0)
