// AppliedIds: what is kept for re-sends, and for how long.
import { describe, expect, it } from 'vitest'
import { AppliedIds } from '../../src/actors/applied.js'

const r = (n: number): Uint8Array => new Uint8Array([n])

describe('AppliedIds', () => {
  it('keeps every unanswered id, and only the newest answered ones', () => {
    const ids = new AppliedIds(2, 1_000, 100)
    for (let i = 0; i < 10; i++) ids.add(`m${i}`, r(i), false, 0)
    expect(ids.size).toBe(10)
    for (let i = 0; i < 10; i++) ids.answered(`m${i}`)
    ids.add('m10', r(10), true, 0)
    expect(ids.list().map(([id]) => id)).toEqual(['m9', 'm10'])
    expect(ids.get('m9')).toEqual(r(9))
    expect(ids.get('m0')).toBeUndefined()
  })

  it('forgets unanswered ids after keepMs, and never holds more than the limit', () => {
    const ids = new AppliedIds(2, 1_000, 5)
    ids.restore([['old', r(0)]], 0)
    ids.add('a', r(1), false, 500)
    ids.add('b', r(2), false, 1_200)
    expect(ids.list().map(([id]) => id)).toEqual(['a', 'b'])
    for (let i = 0; i < 10; i++) ids.add(`x${i}`, r(i), false, 1_200)
    expect(ids.size).toBe(5)
    expect(ids.get('x9')).toEqual(r(9))
  })

  it('with answeredMax 0 keeps only what may still be re-sent after a move', () => {
    const ids = new AppliedIds(0, 1_000, 100)
    ids.add('t', r(1), true, 0)
    ids.add('a', r(2), false, 0)
    expect(ids.list().map(([id]) => id)).toEqual(['a'])
  })
})
