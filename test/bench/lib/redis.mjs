/* global console, process */
// A private redis-server for BullMQ: 127.0.0.1 only, stopped by pid. No
// persistence (as the BullMQ baseline runs it), unless REDIS_APPENDFSYNC is
// `always` or `everysec`: then an append-only file in a temporary folder,
// fsynced after every write or once a second, removed when the server stops.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopChild, track } from './proc.mjs'
import { freePort } from './ports.mjs'
import { nowMs, sleep } from './stats.mjs'

export const REDIS_BIN = '/usr/bin/redis-server'

export function haveRedis () {
  if (existsSync(REDIS_BIN)) return true
  console.log('redis-server not found: apt-get install -y redis-server')
  return false
}

/**
 * Installs Debian's redis-server for the tasks pair when it is missing and this process may (root, with apt-get),
 * as .ci/run installs what the tests need; otherwise the pair skips BullMQ's side and says so. BENCH_INSTALL=0 never
 * installs. Returns whether redis-server is there.
 */
export function ensureRedis () {
  if (existsSync(REDIS_BIN)) return true
  // Not allowed to install: the tasks pair says what is missing when it starts (haveRedis).
  if (process.env.BENCH_INSTALL === '0' || process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return false
  console.log('redis-server not found: installing it (apt-get install -y redis-server; BENCH_INSTALL=0 skips this)')
  const apt = args => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0
  const install = () => apt(['install', '-y', '--no-install-recommends', 'redis-server'])
  if (!install() && !(apt(['update']) && install())) console.log('apt-get could not install redis-server')
  return existsSync(REDIS_BIN)
}

/** How the bench's redis persists: 'none' (the baseline's), or its appendfsync policy. */
export function redisPersistence () {
  const v = process.env.REDIS_APPENDFSYNC
  if (v === undefined || v === '' || v === 'no') return 'none'
  if (v !== 'always' && v !== 'everysec') throw new Error(`REDIS_APPENDFSYNC must be always, everysec or no, not ${JSON.stringify(v)}`)
  return v
}

export async function startRedis () {
  const port = await freePort()
  const persistence = redisPersistence()
  const dir = persistence === 'none' ? undefined : mkdtempSync(join(tmpdir(), 'troupe-bench-redis-'))
  const persist = dir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', persistence, '--dir', dir]
  const child = track(spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persist], { stdio: 'ignore' }))
  const stop = async () => {
    await stopChild(child)
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }
  const t0 = nowMs()
  while (!await canConnect(port)) {
    if (nowMs() - t0 > 10_000 || child.exitCode !== null) { await stop(); throw new Error('redis-server did not start') }
    await sleep(50)
  }
  return { port, persistence, stop }
}

function canConnect (port) {
  return new Promise(resolve => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
