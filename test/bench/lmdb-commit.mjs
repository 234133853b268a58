/* global process, console, setImmediate, performance, Buffer */
// CPU per put of the task store's commit pattern, without a peer: commits of TX puts, each in its own event-loop
// turn, into a fresh environment, first inserting RECORDS values under [partition, id] keys in id order, then
// overwriting them in a random order (a drain's finished records). Three ways: a synchronous transaction with
// lmdb-js's putSync flags (the store's 'inline' commits) with overlappingSync on (lmdb-js's default, Troupe's) and
// off, to see what each commit's sync costs; and asynchronous puts committed on lmdb's thread ('background'). Also how
// long each commit holds this thread (`TX=1 RECORDS=2000`: commits of one record). Not part of `npm run bench`.
//
//   node test/bench/lmdb-commit.mjs
//
// Env: RECORDS (20000), TX (puts per transaction, 512), VALUE (bytes, 160), ROUNDS (3; the last is printed), DIR
// (default a fresh folder under the OS's temporary directory, removed at the end).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { asBinary, open, TransactionFlags } from 'lmdb'

const RECORDS = Number(process.env.RECORDS ?? 20_000)
const TX = Number(process.env.TX ?? 512)
const VALUE = Number(process.env.VALUE ?? 160)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const FLAGS = TransactionFlags.SYNCHRONOUS_COMMIT | TransactionFlags.NO_SYNC_FLUSH

const base = process.env.DIR ?? mkdtempSync(join(tmpdir(), 'troupe-lmdb-commit-'))
const value = Buffer.alloc(VALUE, 7)
const now = Date.now()
// Ids as the task store has them: a time prefix, then random; 64 partitions.
const ids = Array.from({ length: RECORDS }, (_, i) => `t-${(now + (i >> 4)).toString(36)}-${Math.random().toString(36).slice(2, 18).padEnd(16, '0')}`)
const inOrder = ids.map((_, i) => i)
const shuffled = inOrder.slice()
for (let i = shuffled.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
}

/**
 * µs of CPU (user, system; every thread of the process) per put over `order`, one commit of TX puts per turn, and
 * how long each held this thread (ms). `background`: asynchronous puts, committed on lmdb's thread, awaited before
 * the next turn's (the task store's 'background' mode); else one synchronous transaction ('inline').
 */
async function phase (db, order, background) {
  const c0 = process.cpuUsage()
  const holds = []
  for (let s = 0; s < order.length; s += TX) {
    await new Promise(resolve => setImmediate(resolve))
    const t0 = performance.now()
    if (background) {
      let last
      for (let j = s; j < Math.min(s + TX, order.length); j++) last = db.put([order[j] % 64, ids[order[j]]], asBinary(value))
      holds.push(performance.now() - t0)
      await last
      continue
    }
    db.transactionSync(() => {
      for (let j = s; j < Math.min(s + TX, order.length); j++) db.put([order[j] % 64, ids[order[j]]], asBinary(value))
    }, FLAGS)
    holds.push(performance.now() - t0)
  }
  const c = process.cpuUsage(c0)
  holds.sort((a, b) => a - b)
  const at = q => holds[Math.min(holds.length - 1, Math.floor(q * holds.length))]
  return { user: c.user / order.length, system: c.system / order.length, hold: { p50: at(0.5), p99: at(0.99), max: holds.at(-1) } }
}

const fmt = x => x.toFixed(2)
try {
  const variants = [['inline, overlappingSync', true, false], ['inline, no overlappingSync', false, false], ['background, overlappingSync', true, true]]
  for (const [label, overlappingSync, background] of variants) {
    const path = join(base, label.replace(/\W+/g, '-'))
    const root = open({ path, maxDbs: 4, mapSize: 2 * 1024 ** 3, overlappingSync })
    const db = root.openDB({ name: 'tasks', encoding: 'binary' })
    let last
    for (let r = 0; r < ROUNDS; r++) last = { insert: await phase(db, inOrder, background), update: await phase(db, shuffled, background) }
    await root.close()
    const line = k => `${k} ${fmt(last[k].user + last[k].system)} µs/put (user ${fmt(last[k].user)}, system ${fmt(last[k].system)}; a commit holds this thread ${fmt(last[k].hold.p50)} ms p50, ${fmt(last[k].hold.p99)} p99, ${fmt(last[k].hold.max)} max)`
    console.log(`${label}: ${line('insert')}; ${line('update')}; ${TX} puts per commit`)
  }
} finally {
  if (process.env.DIR === undefined) rmSync(base, { recursive: true, force: true })
}
