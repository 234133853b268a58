/* global process, console, setTimeout, clearTimeout, URL */
// `npm run bench [-- --only actions,actors]`: runs each pair in its own
// process (bounded by a timeout, stopped by pid), then writes docs/performance.md.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ensureRedis } from './lib/redis.mjs'
import { report } from './report.mjs'

const PAIRS = { actions: 4, actors: 5, tasks: 8, fanout: 6, memory: 5, leases: 5 } // timeout in minutes
const args = process.argv.slice(2)
const at = args.indexOf('--only')
const only = at >= 0 ? (args[at + 1] ?? '').split(',').filter(Boolean) : Object.keys(PAIRS)
const unknown = only.filter(p => !(p in PAIRS))
if (unknown.length) { console.error(`unknown pair(s): ${unknown.join(', ')}; pairs: ${Object.keys(PAIRS).join(', ')}`); process.exit(2) }

const compat = fileURLToPath(new URL('../../dist/compat.js', import.meta.url))
// The tasks pair compares against BullMQ on Debian's redis-server: installed here when missing and allowed (lib/redis.mjs).
if (only.includes('tasks')) ensureRedis()
const failed = []
for (const pair of only) {
  console.log(`\n== ${pair} ==`)
  const script = fileURLToPath(new URL(`./${pair}.mjs`, import.meta.url))
  const code = await new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', compat, script], { stdio: 'inherit' })
    const t = setTimeout(() => {
      // SIGTERM first: the pair's handler stops its own children (peers, workers, redis) by pid.
      console.error(`${pair}: over ${PAIRS[pair]} min, stopping it`)
      try { process.kill(child.pid, 'SIGTERM') } catch { /* gone */ }
      setTimeout(() => { try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ } }, 5_000).unref()
    }, PAIRS[pair] * 60_000)
    child.once('exit', c => { clearTimeout(t); resolve(c) })
    process.once('SIGINT', () => { try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ } })
  })
  if (code !== 0) failed.push(pair)
}
const file = report({ command: `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}` })
console.log(`\nwrote ${file}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`)
process.exit(failed.length ? 1 : 0)
