// The compact encoding of task records (src/tasks/compact.ts): what goes
// through it comes back equal, on the wire and on disk, and a store written
// by an earlier version (plain maps) still reads.
import fc from 'fast-check'
import { pack, unpack } from 'msgpackr'
import { afterEach, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/store.js'
import { checkRecords } from '../../src/tasks/codec.js'
import { compactRecords, fromStored, fromTuple, PeerTable, toStored, toTuple } from '../../src/tasks/compact.js'
import { CompactWriter, WRITER_CHUNK_BYTES } from '../../src/tasks/compact-writer.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { TASKS_DB, TaskStore } from '../../src/tasks/store.js'
import { finishAttempt, startAttempt } from '../../src/tasks/transitions.js'
import { tempDir } from '../helpers/tmp.js'
import { recordArb } from './arbitraries.js'

const PEER_A = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'
const PEER_B = '12D3KooWQ5j1mfQNfVYkgT1D8n2zTXVMV7Ym6FaGnBzxiAJ1eF8d'

/** A task created on A and run on B, with every optional field set. */
function finished(i: number): TaskRecord {
  const r = newRecord({ id: `t-${i}`, name: 'mail', scope: 'any', partition: i % 4, input: { to: `u${i}@example.com`, n: i }, priority: 2, idempotencyKey: `k${i}`, timeoutMs: 5_000, runAt: 10, now: 10, self: PEER_A })
  const started = startAttempt(r, { self: PEER_B, now: 20 }, '3:7')
  return finishAttempt(started.record, { self: PEER_B, now: 30 }, { key: started.attempt.key, outcome: 'error', error: { name: 'Error', message: 'smtp down', code: 'ERR_X', retryable: true }, retry: { attempts: 1, backoffMs: 0, backoffFactor: 1, lostMax: 3 }, members: [PEER_A, PEER_B], owner: true })
}

let dir: Awaited<ReturnType<typeof tempDir>> | undefined
afterEach(async () => { await dir?.remove(); dir = undefined })

describe('the compact encoding of task records', () => {
  it('round-trips any record through a tuple and msgpack, on the wire and on disk', () => {
    fc.assert(fc.property(fc.array(recordArb, { maxLength: 5 }), (records) => {
      const { records: back, dropped } = checkRecords(unpack(pack(compactRecords(records))), 1)
      expect(dropped).toBe(0)
      expect(back).toEqual(records)
      for (const r of records) expect(fromStored(unpack(pack(toStored(r))))).toEqual(r)
    }), { numRuns: 200 })
  })

  it('keeps optional fields, errors and attempts, and names each peer once per message', () => {
    const records = [finished(1), finished(2)]
    expect(records[0]?.attempts[0]?.outcome).toBe('error')
    const body = compactRecords(records)
    expect([...body.peers].sort()).toEqual([PEER_A, PEER_B].sort())
    expect(checkRecords(unpack(pack(body)), 4).records).toEqual(records)
    // Each peer id appears once in the bytes, not four times per record.
    const text = Buffer.from(pack(body)).toString('latin1')
    expect(text.split(PEER_B).length - 1).toBe(1)
    expect(pack(body).length).toBeLessThan(pack(records).length / 2)
  })

  it('refuses tuples of another layout, unknown codes and peers the table lacks', () => {
    const r = finished(1)
    const peers = new PeerTable()
    const t = toTuple(r, peers)
    expect(fromTuple(t, peers.ids)).toEqual(r)
    expect(fromTuple(t.slice(1), peers.ids)).toBeUndefined()
    expect(fromTuple(r, peers.ids)).toBeUndefined()
    expect(fromTuple(t, [])).toBeUndefined()
    expect(fromTuple(Object.assign([...t], { 8: 9 }), peers.ids)).toBeUndefined()
    expect(fromTuple(Object.assign([...t], { 19: [0, 0] }), peers.ids)).toBeUndefined()
    // An attempt whose round is not a number cannot name its key.
    const attempts = [...(t[19] as unknown[])]
    attempts[1] = { toString: 1 }
    expect(fromTuple(Object.assign([...t], { 19: attempts }), peers.ids)).toBeUndefined()
  })

  it('writes tuples and stored values straight from records, decoding as msgpackr packs the tuples', () => {
    const writer = new CompactWriter()
    // Strings of every header size and non-ASCII ones, numbers of every width and sign, floats, and inputs of any shape.
    const text = fc.oneof(fc.string({ maxLength: 70 }), fc.string({ minLength: 250, maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constant('é'.repeat(40)))
    const number = fc.oneof(fc.integer(), fc.integer({ min: -200, max: 70_000 }), fc.double({ noNaN: true }), fc.constantFrom(2 ** 32, 2 ** 40 + 1, -(2 ** 31) - 1, 1.8e12))
    const shaped = fc.tuple(recordArb, text, text, number, number, fc.anything()).map(([r, id, name, priority, runAt, input]) => ({ ...r, id, name, priority, runAt, input }))
    fc.assert(fc.property(shaped, (r) => {
      const peers = new PeerTable()
      writer.begin()
      writer.tuple(r, peers)
      const viaWriter = writer.end()
      const reference = new PeerTable()
      expect(fromTuple(unpack(viaWriter), peers.ids)).toEqual(fromTuple(unpack(pack(toTuple(r, reference))), reference.ids))
      writer.begin()
      writer.stored(r)
      expect(fromStored(unpack(writer.end()))).toEqual(fromStored(unpack(pack(toStored(r)))))
    }), { numRuns: 300 })
    // ASCII strings and integers come out byte for byte as msgpackr's.
    const r = finished(7)
    writer.begin()
    writer.stored(r)
    const table = new PeerTable()
    table.ref(PEER_A)
    table.ref(PEER_B)
    expect(writer.end().equals(pack([table.ids, toTuple(r, table)]))).toBe(true)
  })

  it('writes JSON-like inputs itself byte for byte as msgpackr does, and leaves the rest to msgpackr', () => {
    const writer = new CompactWriter()
    const deep = (n: number): unknown => n === 0 ? { leaf: [1, 'x'] } : { n, next: deep(n - 1) }
    const odd = fc.constantFrom<unknown>(undefined, new Date(0), new Uint8Array([1, 2]), 10n, new Map([[1, 2]]), [undefined, 1], { u: undefined }, deep(40), Object.create(null), -0, Number.NaN, 2 ** 53 + 2)
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.anything(), odd), (input) => {
      const r = { ...finished(1), input, error: { name: 'Error', message: 'x', details: input } }
      const table = new PeerTable()
      writer.begin()
      writer.tuple(r as TaskRecord, table)
      const bytes = writer.end()
      // The writer's table names the creator first, then the writer, then each attempt's peer.
      const reference = new PeerTable()
      for (const p of [r.creator, r.writer, ...r.attempts.map(a => a.peer)]) reference.ref(p)
      expect(bytes.equals(pack(toTuple(r as TaskRecord, reference)))).toBe(true)
      expect(fromTuple(unpack(bytes), table.ids)).toEqual(fromTuple(unpack(pack(toTuple(r as TaskRecord, reference))), reference.ids))
    }), { numRuns: 500 })
  })

  it('writes recurring strings (peer ids, fences) from its cache as msgpackr would, past the bound of the cache too', () => {
    const writer = new CompactWriter()
    // More distinct peers and fences than the cache keeps, each written twice (from the cache the second time), and non-ASCII ones.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < 1_100; i++) {
        const peer = i % 7 === 0 ? `pé${i}${'ü'.repeat(30)}` : `${PEER_B.slice(0, -5)}${String(i).padStart(5, '0')}`
        const base = finished(i)
        const r = { ...base, writer: peer, attempts: base.attempts.map(a => ({ ...a, peer, key: `${peer}#${a.round}.${a.n}`, fence: `0000002a.${String(i).padStart(14, '0')}.${peer}` })) }
        writer.begin()
        writer.stored(r)
        const bytes = writer.end()
        expect(fromStored(unpack(bytes))).toEqual(r)
        // The writer's table names the creator, then the writer, then each attempt's peer.
        const table = new PeerTable()
        for (const p of [r.creator, r.writer, ...r.attempts.map(a => a.peer)]) table.ref(p)
        expect(bytes.equals(pack([table.ids, toTuple(r, table)]))).toBe(true)
      }
    }
  })

  it('never writes again bytes it has handed out, across chunks', () => {
    const writer = new CompactWriter()
    const views: Array<{ bytes: Buffer, copy: Buffer, r: TaskRecord }> = []
    for (let i = 0; i < 3 * WRITER_CHUNK_BYTES / 150; i++) {
      const r = { ...finished(i), input: i % 97 === 0 ? 'x'.repeat(WRITER_CHUNK_BYTES) : { n: i } }
      writer.begin()
      writer.stored(r)
      const bytes = writer.end()
      views.push({ bytes, copy: Buffer.from(bytes), r })
    }
    for (const { bytes, copy, r } of views) {
      expect(bytes.equals(copy)).toBe(true)
      expect(fromStored(unpack(bytes))).toEqual(r)
    }
  })

  it('stores records compactly and still reads records stored as plain maps', async () => {
    dir = await tempDir()
    const store = await openStore(dir.path)
    try {
      const old = finished(1)
      // As a version before the compact encoding wrote it.
      await store.db<unknown, [number, string]>(TASKS_DB).put([old.partition, old.id], old)
      const tasks = new TaskStore(store, id => Number(id.slice(2)) % 4, 4, () => 1_000)
      tasks.load()
      expect(tasks.get(old.id)).toEqual(old)
      const fresh = finished(2)
      await tasks.create([fresh])
      const raw = store.db<unknown, [number, string]>(TASKS_DB).get([fresh.partition, fresh.id])
      expect(Array.isArray(raw)).toBe(true)
      expect(tasks.list().map(r => r.id)).toEqual([old.id, fresh.id])
      expect(tasks.list()[1]).toEqual(fresh)
      await tasks.close()
    } finally {
      await store.close()
    }
  })
})
