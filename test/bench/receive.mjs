/* global process, console, performance, setImmediate */
// The receive path of a peer in a drain, in one process, no network: a task store on real lmdb holds TASKS pending
// "any" records; their finished copies (as another peer's runner writes them) arrive as gossip messages of BATCH
// records, each judged (decoded and checked) and merged (and committed), one message per turn. Prints per round the
// wall and CPU µs per record and the judge's share. A probe of the machine as much as of the code: the same build gave
// 5.5-6 µs per record at one moment and 9-11 µs half an hour later (docs/performance.md, session 20). Not part of
// `npm run bench`.
//
//   node --import ./dist/compat.js test/bench/receive.mjs
//
// Env: TASKS (20000), BATCH (650), ROUNDS (6; the first warms up), TMPDIR (where the stores go). Partitions: the bench
// peers' (lib/cluster.mjs).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore } from '../../dist/store/store.js'
import { TaskStore } from '../../dist/tasks/store.js'
import { newRecord, endAttempt, attemptKey } from '../../dist/tasks/record.js'
import { encodeGossip } from '../../dist/tasks/codec.js'
import { judgeGossip } from '../../dist/tasks/gossip-in.js'
import { partitionOf } from '../../dist/lease/hash.js'
import { PARTITIONS } from './lib/cluster.mjs'

const N = Number(process.env.TASKS ?? 20_000)
const BATCH = Number(process.env.BATCH ?? 650)
const ROUNDS = Number(process.env.ROUNDS ?? 6)
// Peer ids of the usual length: A created the tasks, B ran them, this store is a third peer's.
const A = '12D3KooWAbcdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS'
const B = '12D3KooWBcdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST'
const SELF = '12D3KooWCdefghijkLmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU'
const members = () => [A, B, SELF]
const pOf = id => partitionOf(id, PARTITIONS)

for (let round = 0; round < ROUNDS; round++) {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-receive-'))
  const store = await openStore(dir)
  const tasks = new TaskStore(store, pOf, PARTITIONS, () => Date.now(), {})
  tasks.load()
  const now = Date.now()
  const pending = []
  for (let i = 0; i < N; i++) {
    const id = `t-${now.toString(36)}-${round}x${i.toString(36).padStart(8, '0')}`
    pending.push(newRecord({ id, name: 'noop', scope: 'any', partition: pOf(id), input: { i }, priority: 0, runAt: now, now, self: A }))
  }
  for (let i = 0; i < N; i += 1000) await tasks.create(pending.slice(i, i + 1000))
  const messages = []
  for (let i = 0; i < N; i += BATCH) {
    const finished = pending.slice(i, i + BATCH).map(r => {
      const attempt = { key: attemptKey(B, 0, 1), peer: B, round: 0, n: 1, startedAt: now + 1, fence: `${r.partition}:5:${B}` }
      return { ...r, version: r.version + 2, writer: B, updatedAt: now + 2, state: 'done', attempts: [endAttempt(attempt, now + 2, 'ok')] }
    })
    messages.push(encodeGossip(finished))
  }
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  let judgeUs = 0
  const merges = []
  for (const m of messages) {
    const j0 = performance.now()
    const judged = judgeGossip(m, B, B, { partitions: PARTITIONS, members })
    judgeUs += (performance.now() - j0) * 1000
    merges.push(tasks.merge(judged.records, Number.POSITIVE_INFINITY, 0))
    await new Promise(resolve => setImmediate(resolve))
  }
  await Promise.all(merges)
  const t1 = performance.now()
  const c1 = process.cpuUsage(c0)
  const done = tasks.overview(0).counts.done
  if (done !== N) throw new Error(`round ${round + 1}: ${done} of ${N} records stored finished`)
  console.log(JSON.stringify({ round: round + 1, wallUs: +((t1 - t0) * 1000 / N).toFixed(2), cpuUs: +((c1.user + c1.system) / N).toFixed(2), judgeUs: +(judgeUs / N).toFixed(2) }))
  await tasks.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
