/* global console */
// A private redis-server for BullMQ: 127.0.0.1 only, no persistence, stopped by pid.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createConnection } from 'node:net'
import { stopChild, track } from './proc.mjs'
import { freePort } from './ports.mjs'
import { nowMs, sleep } from './stats.mjs'

export const REDIS_BIN = '/usr/bin/redis-server'

export function haveRedis () {
  if (existsSync(REDIS_BIN)) return true
  console.log('redis-server not found: apt-get install -y redis-server')
  return false
}

export async function startRedis () {
  const port = await freePort()
  const child = track(spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }))
  const t0 = nowMs()
  while (!await canConnect(port)) {
    if (nowMs() - t0 > 10_000 || child.exitCode !== null) { await stopChild(child); throw new Error('redis-server did not start') }
    await sleep(50)
  }
  return { port, stop: () => stopChild(child) }
}

function canConnect (port) {
  return new Promise(resolve => {
    const s = createConnection({ port, host: '127.0.0.1' }, () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
