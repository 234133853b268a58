// The sync index (src/tasks/sync-index.ts) against a plain model of what it
// promises: a write enters the digest once it is settleMs old (at the next
// write or read of the index), and until then the digest keeps the id's older
// value; the fresh view and `holds` see every write at once. Seeded runs long enough for the ring of pending writes to
// compact many times.
import { describe, expect, it } from 'vitest'
import { SYNC_BUCKETS } from '../../src/tasks/constants.js'
import { fingerprint } from '../../src/tasks/digest.js'
import { newRecord, type TaskRecord } from '../../src/tasks/record.js'
import { SyncIndex } from '../../src/tasks/sync-index.js'
import { seededRandom } from '../../src/util/random.js'

const PARTITIONS = 4
const SETTLE_MS = 50
const partitionOf = (id: string): number => Number(id.slice(2)) % PARTITIONS
const ALL_BUCKETS = Array.from({ length: SYNC_BUCKETS }, (_, b) => b)

/** The model: per id, its last write (fingerprint, or undefined for a removal) and when; and what the digest holds. */
interface Model {
  last: Map<string, { at: number, fp: number | undefined }>
  digested: Map<string, number>
}

/**
 * expect(got).toEqual(want) for two maps, with the deep comparison (slow: thousands of these made the file take
 * ~25 s) only when a plain one finds a difference, so that a failure still shows the diff.
 */
function expectSameMap<V>(got: ReadonlyMap<string, V>, want: ReadonlyMap<string, V>): void {
  let same = got.size === want.size
  if (same) for (const [k, v] of want) if (!got.has(k) || !Object.is(got.get(k), v)) { same = false; break }
  if (!same) expect(got).toEqual(want)
}

function settle(model: Model, cutoff: number): void {
  for (const [id, w] of model.last) {
    if (w.at > cutoff) continue
    if (w.fp === undefined) model.digested.delete(id)
    else model.digested.set(id, w.fp)
    model.last.delete(id)
  }
}

describe('SyncIndex', () => {
  for (const seed of [1, 2, 3]) {
    it(`digests writes settleMs old, keeps the fresh view and holds() current, across ring compactions and slot reuse (seed ${seed})`, () => {
      const random = seededRandom(seed)
      let now = 0
      // Seed 3 uses more ids than the index's first slot arrays hold, so they grow.
      const ids = seed === 3 ? 1_500 : 400
      const index = new SyncIndex(PARTITIONS, SETTLE_MS, () => now)
      const model: Model = { last: new Map(), digested: new Map() }
      const fresh = new Map<string, number | undefined>()
      let version = 0
      for (let step = 0; step < 20_000; step++) {
        now += random.next() < 0.3 ? 1 : 0
        const roll = random.next()
        if (roll < 0.9) {
          const id = `t-${Math.floor(random.next() * ids)}`
          const kind = random.next()
          const r: TaskRecord | undefined = kind < 0.1 ? undefined
            : { ...newRecord({ id, name: 'n', scope: 'any', partition: partitionOf(id), input: { v: ++version }, priority: 0, runAt: 0, now: 0, self: 'p' }), state: kind < 0.5 ? 'pending' : 'done' }
          const active = r !== undefined && r.state === 'pending'
          index.mark(id, partitionOf(id), now, r, active)
          const fp = r === undefined ? undefined : fingerprint(r)
          // Every write first digests what has settled by its time (its id's earlier write included).
          settle(model, now - SETTLE_MS)
          model.last.set(id, { at: now, fp })
          fresh.set(id, fp)
        } else {
          // A read of the digest, compared whole with the model.
          void index.digest
          settle(model, now - SETTLE_MS)
          for (let p = 0; p < PARTITIONS; p++) {
            const { ids, fps } = index.summary(p, ALL_BUCKETS)
            const got = new Map(ids.map((id, i) => [id, fps[i]]))
            const want = new Map([...model.digested].filter(([id]) => partitionOf(id) === p))
            expectSameMap(got, want)
          }
        }
        if (step % 97 === 0) {
          // Every read of the index digests what has settled, these included.
          settle(model, now - SETTLE_MS)
          for (const [id, fp] of fresh) {
            // Plain checks first: expect() per id, thousands of times, was most of this file's time.
            if (index.fingerprintOf(id, true) !== fp) expect(index.fingerprintOf(id, true)).toBe(fp)
            if (index.holds(id) !== (fp !== undefined)) expect(index.holds(id)).toBe(fp !== undefined)
          }
          for (let p = 0; p < PARTITIONS; p++) {
            const { ids, fps } = index.summary(p, ALL_BUCKETS, true)
            const want = new Map([...fresh].filter(([id, fp]) => partitionOf(id) === p && fp !== undefined))
            expectSameMap(new Map(ids.map((id, i) => [id, fps[i]])), want)
          }
        }
      }
      // Everything settles in the end.
      now += SETTLE_MS
      void index.digest
      settle(model, now - SETTLE_MS)
      expect(model.last.size).toBe(0)
      for (const [id, fp] of fresh) expect(index.fingerprintOf(id)).toBe(fp)
    })
  }
})
