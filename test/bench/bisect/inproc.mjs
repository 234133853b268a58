/* global console, process */
// CPU per request of each rung without sockets: @hono/node-server's request
// listener is driven with real IncomingMessage/ServerResponse objects over a
// discarding fake socket, sequentially, one request at a time (as at 1
// connection). Less disturbed by other load on the box than a socket bench.
// Usage: STEPS=hono,app N=20000 node --import ./dist/compat.js test/bench/bisect/inproc.mjs
import { IncomingMessage, ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import { buildApp, STEP_NAMES } from './apps.mjs'

const STEPS = (process.env.STEPS ?? STEP_NAMES.join(',')).split(',')
const N = Number(process.env.N ?? 20000)
const ROUNDS = Number(process.env.ROUNDS ?? 5)
// THRASH=<KiB>: between requests, touch that much memory (one byte per 64-byte line), as
// another process running between two requests would evict caches; its own cost is
// measured alone and subtracted.
const THRASH = Number(process.env.THRASH ?? 0) * 1024
const junk = new Uint8Array(Math.max(THRASH, 64))
let sink = 0
function thrash () { for (let i = 0; i < THRASH; i += 64) sink += junk[i]++ }

class FakeSocket extends Writable {
  constructor () { super({ highWaterMark: 1 << 20 }); this.bytes = 0; this.remoteAddress = '127.0.0.1' }
  _write (chunk, _enc, cb) { this.bytes += chunk.length; cb() }
  _writev (chunks, cb) { for (const c of chunks) this.bytes += c.chunk.length; cb() }
  setTimeout () {} ; setNoDelay () {} ; setKeepAlive () {} ; ref () {} ; unref () {} ; address () { return { port: 1 } }
}

function oneRequest (listener, socket) {
  return new Promise((resolve) => {
    const req = new IncomingMessage(socket)
    req.method = 'GET'; req.url = '/api/hello?name=x'; req.httpVersion = '1.1'; req.httpVersionMajor = 1; req.httpVersionMinor = 1
    req.headers = { host: '127.0.0.1:1', 'user-agent': 'bench', accept: '*/*' }
    req.rawHeaders = ['Host', '127.0.0.1:1', 'User-Agent', 'bench', 'Accept', '*/*']
    req.complete = true
    req.push(null)
    const res = new ServerResponse(req)
    res.assignSocket(socket)
    res.on('finish', () => { res.detachSocket(socket); resolve() })
    listener(req, res)
  }).then(thrash)
}

const listeners = {}
for (const s of STEPS) listeners[s] = getRequestListener((await buildApp(s)).fetch)
const socket = new FakeSocket()
await oneRequest(listeners[STEPS[0]], socket)
const cpu = Object.fromEntries(STEPS.map(s => [s, []]))
let thrashUs = 0
if (THRASH > 0) {
  for (let i = 0; i < N; i++) thrash()
  const t0 = process.cpuUsage()
  for (let i = 0; i < N; i++) await Promise.resolve().then(thrash)
  const d = process.cpuUsage(t0)
  thrashUs = (d.user + d.system) / N
  console.log(`thrash alone ${thrashUs.toFixed(2)} µs (subtracted)`)
}
for (let r = 0; r < ROUNDS; r++) {
  for (const s of STEPS) {
    for (let i = 0; i < 2000; i++) await oneRequest(listeners[s], socket) // warm
    const t0 = process.cpuUsage()
    for (let i = 0; i < N; i++) await oneRequest(listeners[s], socket)
    const d = process.cpuUsage(t0)
    cpu[s].push((d.user + d.system) / N - thrashUs)
  }
}
// ALLOC=1 (run node with --max-semi-space-size=64 so that no scavenge falls inside): bytes allocated per request.
if (process.env.ALLOC) {
  for (const s of STEPS) {
    const per = []
    for (let r = 0; r < 5; r++) {
      const h0 = process.memoryUsage().heapUsed
      for (let i = 0; i < 1000; i++) await oneRequest(listeners[s], socket)
      const d = process.memoryUsage().heapUsed - h0
      if (d > 0) per.push(d / 1000)
    }
    console.log(`${s.padEnd(12)} allocated ${per.length ? Math.round(Math.min(...per)) : '?'} B/req (${per.map(Math.round).join(' ')})`)
  }
}
// HEAPPROF=<step>: allocation sites (garbage included) of 5,000 requests of that step, by function.
if (process.env.HEAPPROF) {
  const { Session } = await import('node:inspector/promises')
  const session = new Session()
  session.connect()
  const step = process.env.HEAPPROF
  for (let i = 0; i < 2000; i++) await oneRequest(listeners[step], socket)
  await session.post('HeapProfiler.startSampling', { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  const n = 5000
  for (let i = 0; i < n; i++) await oneRequest(listeners[step], socket)
  const { profile } = await session.post('HeapProfiler.stopSampling')
  const by = new Map()
  const walk = (node, stack) => {
    const f = node.callFrame
    const name = `${f.functionName || '(anon)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`
    const self = node.selfSize
    if (self > 0) by.set(name, (by.get(name) ?? 0) + self)
    for (const c of node.children) walk(c, stack)
  }
  walk(profile.head, [])
  const total = [...by.values()].reduce((a, b) => a + b, 0)
  console.log(`${step}: ${Math.round(total / n)} B/req sampled`)
  for (const [name, b] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${String(Math.round(b / n)).padStart(6)} B  ${name}`)
}
const med = xs => { const a = [...xs].sort((x, y) => x - y); return a[a.length >> 1] }
const base = med(cpu[STEPS[0]])
for (const s of STEPS) console.log(`${s.padEnd(12)} ${med(cpu[s]).toFixed(2).padStart(7)} µs/req  +${(med(cpu[s]) - base).toFixed(2)}  (rounds ${cpu[s].map(x => x.toFixed(1)).join(' ')})`)
if (sink === -1) console.log(sink)
if (process.env.RESOURCES) {
  const counts = {}
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1
  console.log('active resources', counts, 'heap MB', (process.memoryUsage().heapUsed / 1e6).toFixed(1))
}
process.exit(0)
