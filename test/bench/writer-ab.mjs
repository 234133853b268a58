/* global process, console */
// The record writer of two builds in one process, alternated round by round: µs per record of a stored value (the
// runner's own records, and records decoded from a gossip message, whose strings are fresh) and of a gossip tuple,
// for 650 finished records of a drain's shape (peer ids of 52 characters, a 76-character fence). Each build is a
// checkout with its own dist/. Not part of `npm run bench`.
//
//   node test/bench/writer-ab.mjs <checkout A> <checkout B>
//
// Env: ROUNDS (800; the first 200 warm up). Prints the medians and B/A.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const roots = process.argv.slice(2).map(r => resolve(r))
if (roots.length !== 2) throw new Error('usage: writer-ab.mjs <checkout A> <checkout B>')
const ROUNDS = Number(process.env.ROUNDS ?? 800)
const load = async (root, p) => import(pathToFileURL(`${root}/dist/${p}`).href)
const builds = []
for (const root of roots) builds.push({ root, ...(await load(root, 'tasks/compact-writer.js')), ...(await load(root, 'tasks/compact.js')) })
const { newRecord, endAttempt, attemptKey } = await load(roots[0], 'tasks/record.js')
const { encodeGossip, checkRecords } = await load(roots[0], 'tasks/codec.js')
const { unpack } = await import('msgpackr')

const A = '12D3KooWAbcdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS'
const B = '12D3KooWBcdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST'
const own = []
for (let i = 0; i < 650; i++) {
  const r = newRecord({ id: `t-${(1.7e12 + i).toString(36)}-${String(i).padStart(16, '0')}`, name: 'noop', scope: 'any', partition: i % 256, input: { i }, priority: 0, runAt: 1.7e12, now: 1.7e12 + i, self: A })
  const a = { key: attemptKey(B, 0, 1), peer: B, round: 0, n: 1, fence: `0000002a.${String(i % 85).padStart(14, '0')}.${B}`, startedAt: 1.7e12 + i + 5 }
  own.push({ ...r, state: 'done', version: 3, writer: B, updatedAt: 1.7e12 + i + 9, attempts: [endAttempt(a, 1.7e12 + i + 9, 'ok')] })
}
const received = checkRecords(unpack(encodeGossip(own)), 256).records

const time = (f) => { const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e3 / own.length }
const res = builds.map(() => ({ storedOwn: [], storedReceived: [], tuple: [] }))
const writers = builds.map(b => new b.CompactWriter())
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < builds.length; k++) {
    const w = writers[k]
    const stored = (rs) => { for (const r of rs) { w.begin(); w.stored(r); w.end() } }
    res[k].storedOwn.push(time(() => stored(own)))
    res[k].storedReceived.push(time(() => stored(received)))
    res[k].tuple.push(time(() => { const t = new builds[k].PeerTable(); for (const r of own) { w.begin(); w.tuple(r, t); w.end() } }))
  }
}
const med = a => { const s = a.slice(Math.floor(ROUNDS / 4)).sort((x, y) => x - y); return s[s.length >> 1] }
for (const key of Object.keys(res[0])) {
  const [a, b] = res.map(r => med(r[key]))
  console.log(`${key.padEnd(15)} A ${a.toFixed(3)} µs  B ${b.toFixed(3)} µs  B/A ${(b / a).toFixed(2)}`)
}
