import { describe, expect, it } from 'vitest'
import { hrwIndex, hrwRank, hrwTop } from '../../src/lease/index.js'
import { seededRandom } from '../../src/util/random.js'

describe('hrwIndex', () => {
  it('is the position hrwRank gives a worker, for every worker and partition (and -1 for a non-worker)', () => {
    const random = seededRandom(11)
    for (let round = 0; round < 50; round++) {
      const n = 1 + Math.floor(random.next() * 12)
      const workers = Array.from({ length: n }, (_, i) => `12D3KooW${Math.floor(random.next() * 1e9).toString(36)}-${i}`)
      for (let p = 0; p < 64; p++) {
        const ranked = hrwRank(workers, p)
        for (const w of workers) expect(hrwIndex(workers, p, w)).toBe(ranked.indexOf(w))
        expect(hrwIndex(workers, p, 'not-a-worker')).toBe(-1)
      }
    }
  })

  it('ranks equal weights by id: the order does not depend on the order of the input', () => {
    const workers = ['c', 'a', 'b', 'd']
    for (let p = 0; p < 32; p++) expect(hrwRank(workers, p)).toEqual(hrwRank([...workers].reverse(), p))
  })
})

describe('hrwTop', () => {
  it('is the first worker hrwRank gives, for every partition (and undefined without workers)', () => {
    const random = seededRandom(12)
    for (let round = 0; round < 50; round++) {
      const n = 1 + Math.floor(random.next() * 12)
      const workers = Array.from({ length: n }, (_, i) => `12D3KooW${Math.floor(random.next() * 1e9).toString(36)}-${i}`)
      for (let p = 0; p < 64; p++) expect(hrwTop(workers, p)).toBe(hrwRank(workers, p)[0])
    }
    expect(hrwTop([], 3)).toBeUndefined()
  })

  it('breaks equal weights by id, whatever the order of the input', () => {
    expect(hrwTop(['b', 'a', 'b'], 0)).toBe(hrwRank(['a', 'b'], 0)[0])
    for (let p = 0; p < 32; p++) expect(hrwTop(['c', 'a', 'b', 'd'], p)).toBe(hrwTop(['d', 'b', 'a', 'c'], p))
  })
})
