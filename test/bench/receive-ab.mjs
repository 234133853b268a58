/* global process, console, setImmediate */
// A paired A/B of the receive path (receive.mjs's: finished records arriving by gossip judged, merged and committed on
// real lmdb), with a peer's 2 s settle window, two builds alternated round by round in one process. Each build is a
// checkout with its own dist/. Not part of `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/receive-ab.mjs <checkout A> <checkout B>
//
// Env: TASKS (20000), BATCH (650), ROUNDS (8 per build; the first warms up), MIX (1; 3: the records come from 3
// runners, each holding a third of the partitions, their messages taking turns, as in a 3-peer drain).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
const roots = process.argv.slice(2).map(r => resolve(r))
if (roots.length !== 2) throw new Error('usage: receive-ab.mjs <checkout A> <checkout B>')
const N = Number(process.env.TASKS ?? 20_000); const BATCH = Number(process.env.BATCH ?? 650); const ROUNDS = Number(process.env.ROUNDS ?? 8)
const builds = []
for (const root of roots) {
  const m = async p => import(pathToFileURL(`${root}/dist/${p}`).href)
  builds.push({ root, ...(await m('store/store.js')), ...(await m('tasks/store.js')), ...(await m('tasks/record.js')), ...(await m('tasks/codec.js')), ...(await m('tasks/gossip-in.js')), ...(await m('lease/hash.js')) })
}
const A = '12D3KooWAbcdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS'
const B = '12D3KooWBcdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST'
const SELF = '12D3KooWCdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU'
const members = () => [A, B, SELF]
const P = 256
const res = roots.map(() => [])
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < builds.length; k++) {
    const b = builds[(round % 2 === 0) ? k : builds.length - 1 - k]; const kk = builds.indexOf(b)
    const pOf = id => b.partitionOf(id, P)
    const dir = mkdtempSync(join(tmpdir(), 'troupe-recv-ab-'))
    const store = await b.openStore(dir)
    const tasks = new b.TaskStore(store, pOf, P, () => Date.now(), { settleMs: 2000, now: () => performance.now() })
    tasks.load()
    const now = Date.now()
    const pending = []
    for (let i = 0; i < N; i++) {
      const id = `t-${now.toString(36)}-${round}x${i.toString(36).padStart(8, '0')}`
      pending.push(b.newRecord({ id, name: 'noop', scope: 'any', partition: pOf(id), input: { i }, priority: 0, runAt: now, now, self: A }))
    }
    for (let i = 0; i < N; i += 1000) await tasks.create(pending.slice(i, i + 1000))
    const messages = []
    // MIX=3: finished by 3 runners, each holding a third of the partitions, their messages taking turns.
    const MIX = Number(process.env.MIX ?? 1)
    const groups = Array.from({ length: MIX }, (_, g) => pending.filter(r => r.partition % MIX === g))
    const order = []
    for (let i = 0; order.length < N; i += BATCH) for (const g of groups) order.push(...g.slice(i, i + BATCH))
    for (let i = 0; i < N; i += BATCH) {
      messages.push(b.encodeGossip(order.slice(i, i + BATCH).map(r => {
        const attempt = { key: b.attemptKey(B, 0, 1), peer: B, round: 0, n: 1, startedAt: now + 1, fence: `0000002a.0000000000${String(r.partition).padStart(4, '0')}.${B}` }
        return { ...r, version: r.version + 2, writer: B, updatedAt: now + 2, state: 'done', attempts: [b.endAttempt(attempt, now + 2, 'ok')] }
      })))
    }
    const c0 = process.cpuUsage()
    const merges = []
    for (const m of messages) {
      const judged = b.judgeGossip(m, B, B, { partitions: P, members })
      merges.push(tasks.merge(judged.records, Number.POSITIVE_INFINITY, 0))
      await new Promise(resolve => setImmediate(resolve))
    }
    await Promise.all(merges)
    const c1 = process.cpuUsage(c0)
    if (tasks.overview(0).counts.done !== N) throw new Error('not all stored finished')
    if (round > 0) res[kk].push((c1.user + c1.system) / N)
    await tasks.close(); await store.close(); rmSync(dir, { recursive: true, force: true })
  }
}
const med = a => [...a].sort((x, y) => x - y)[a.length >> 1]
res.forEach((r, k) => console.log(roots[k].padEnd(14), 'cpu µs/record median', med(r).toFixed(2), 'all', r.map(x => x.toFixed(1)).join(' ')))
console.log('ratio (second/first) per pair', res[1].map((x, i) => (x / res[0][i]).toFixed(2)).join(' '), 'median', med(res[1].map((x, i) => x / res[0][i])).toFixed(3))
