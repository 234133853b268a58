/* global process, console, setTimeout, clearTimeout, URL, fetch */
// Pair 5: RSS of one idle peer started by the CLI (`node dist/cli/main.js
// start`, its own process), then with many pending tasks (delayed an hour, so
// none runs) enqueued over HTTP in arrays of PENDING_BATCH (one enqueueMany
// each). RSS read from /proc/<pid>/status. The CLI sets its V8 flags itself
// (src/cli/v8-flags.ts; TROUPE_V8_FLAGS overrides them).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stopChild, watchdog } from './lib/proc.mjs'
import { envInt, writeResult } from './lib/results.mjs'
import { median, nowMs, sleep } from './lib/stats.mjs'

const PENDING = envInt('PENDING', 100_000)
const ENQUEUE_BUDGET_MS = envInt('ENQUEUE_BUDGET_S', 150) * 1000
/** Tasks per POST /tasks array (ENQUEUE_MANY_ITEMS_MAX is 1 000) and arrays in flight. */
const BATCH = envInt('PENDING_BATCH', 500)
const INFLIGHT = envInt('PENDING_INFLIGHT', 4)
/** The memory-saving V8 flags measured beside the default (none). */
const SMALL_FLAGS = '--optimize-for-size'
watchdog(ENQUEUE_BUDGET_MS + 120_000, 'memory')

const root = fileURLToPath(new URL('../../', import.meta.url))
const dataDir = mkdtempSync(join(tmpdir(), 'troupe-bench-mem-'))

/** One peer through the CLI with `env` added; resolves once it prints its HTTP URL. */
async function startCli (dir, env = {}) {
  const proc = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'start', '--app', join(root, 'test/bench/app'), '--port', '0', '--data', dir, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  process.once('exit', () => { try { process.kill(proc.pid, 'SIGKILL') } catch { /* gone */ } })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    const t = setTimeout(() => reject(new Error(`no http url from the CLI in 30 s: ${out}`)), 30_000)
    const onData = d => {
      out += d
      const m = /http:\s+(http:\/\/[0-9.:]+)/.exec(out)
      if (m) { clearTimeout(t); resolve(m[1]) }
    }
    proc.stdout.on('data', onData)
    proc.stderr.on('data', onData)
  })
  return { proc, url }
}

const rssOf = pid => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
async function settledRss (pid) {
  const xs = []
  for (let i = 0; i < 5; i++) { xs.push(rssOf(pid)); await sleep(1000) }
  return median(xs)
}

// The optional memory-saving flag (not the default: it costs CPU; docs/limits.md), idle only, for comparison.
const smallDir = mkdtempSync(join(tmpdir(), 'troupe-bench-mem-'))
const small = await startCli(smallDir, { TROUPE_V8_FLAGS: SMALL_FLAGS })
await sleep(3000)
const idleSmall = await settledRss(small.proc.pid)
await stopChild(small.proc)
rmSync(smallDir, { recursive: true, force: true })
console.log(`idle peer with TROUPE_V8_FLAGS=${SMALL_FLAGS}: RSS ${idleSmall.toFixed(1)} MB`)

const { proc: child, url } = await startCli(dataDir)
await sleep(3000)
const idle = await settledRss(child.pid)
console.log(`idle peer (CLI, separate process): RSS ${idle.toFixed(1)} MB`)

// POST /tasks with arrays of BATCH tasks (one enqueueMany each, one local commit), a few batches in flight.
let next = 0; let ok = 0; let errors = 0; let firstError
const t0 = nowMs()
await Promise.all(Array.from({ length: INFLIGHT }, async () => {
  while (next < PENDING && nowMs() - t0 < ENQUEUE_BUDGET_MS) {
    const from = next; const n = Math.min(BATCH, PENDING - from)
    next += n
    try {
      const items = Array.from({ length: n }, (_, j) => ({ name: 'noop', input: { i: from + j }, delayMs: 3_600_000 }))
      const res = await fetch(`${url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(items) })
      await res.arrayBuffer()
      if (res.status === 202) ok += n; else { errors += n; firstError ??= `HTTP ${res.status}` }
    } catch (err) {
      errors += n; firstError ??= String(err?.message ?? err)
    }
  }
}))
const enqueueMs = nowMs() - t0
await sleep(3000)
const loaded = await settledRss(child.pid)
console.log(`with ${ok} pending tasks (enqueued over HTTP in arrays of ${BATCH} at ${Math.round(ok / (enqueueMs / 1000))}/s${ok < PENDING ? `, stopped by the ${ENQUEUE_BUDGET_MS / 1000} s budget` : ''}): RSS ${loaded.toFixed(1)} MB; errors ${errors}${firstError ? ` (${firstError})` : ''}`)
await stopChild(child)
rmSync(dataDir, { recursive: true, force: true })
writeResult('memory', { idleMb: idle, idleSmallMb: idleSmall, smallFlags: SMALL_FLAGS, pending: ok, pendingTarget: PENDING, loadedMb: loaded, enqueuePerSec: ok / (enqueueMs / 1000), errors })
process.exit(0)
