/* global process, console, URL */
// CPU profile of one step server (see apps.mjs) under 5 s of autocannon at 50 connections.
// Usage: node --import ./dist/compat.js test/bench/bisect/prof.mjs <step> <dir>, then incl.mjs <dir>/*.cpuprofile
import autocannon from 'autocannon'
import { fileURLToPath } from 'node:url'
import { startChild, stopChild } from '../lib/proc.mjs'
const [step, dir] = process.argv.slice(2)
const compat = fileURLToPath(new URL('../../../dist/compat.js', import.meta.url))
const h = await startChild(fileURLToPath(new URL('./step-server.mjs', import.meta.url)), { env: { STEP: step }, execArgv: ['--import', compat, '--cpu-prof', `--cpu-prof-dir=${dir}`] })
const url = `${h.ready.httpUrl}/api/hello?name=x`
await new Promise((resolve, reject) => autocannon({ url, connections: 50, duration: 5 }, (err, res) => { if (err) reject(err); else { console.log(`${step}: ${res.requests.total / 5} req/s`); resolve() } }))
await stopChild(h.child)
