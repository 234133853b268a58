import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonical, hash32, hashCanonical, samePicked, sameValue } from '../../src/tasks/canonical.js'
import { recordArb } from './arbitraries.js'

const valueArb = fc.letrec(tie => ({
  value: fc.oneof({ depthSize: 'small' },
    fc.constantFrom(null, undefined, 0, -0, 1, NaN, Infinity, '', 'a', true, false),
    fc.string(), fc.double(), fc.uint8Array({ maxLength: 3 }),
    // A 64-bit integer from another peer's msgpack decodes as a bigint; JSON.stringify throws on one.
    fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 })),
})).value

describe('sameValue', () => {
  it('is true exactly when the canonical forms are equal', () => {
    fc.assert(fc.property(valueArb, valueArb, (a, b) => sameValue(a, b) === (canonical(a) === canonical(b))), { numRuns: 5000 })
  })

  it('ignores key order and undefined fields, and tells records apart', () => {
    expect(sameValue({ a: 1, b: undefined, c: [1, { d: 2 }] }, { c: [1, { d: 2 }], a: 1 })).toBe(true)
    expect(sameValue({ a: 1 }, { a: 1, b: null })).toBe(false)
    expect(sameValue([undefined], [null])).toBe(true)
    expect(sameValue({ a: null }, { a: undefined, c: [] })).toBe(false)
    expect(sameValue({ a: undefined, c: [] }, { a: null })).toBe(false)
    expect(sameValue(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    expect(sameValue({ n: 10n }, { n: 10 })).toBe(false)
    expect(canonical({ n: 10n, m: [2n ** 70n] })).toBe('{"m":[1180591620717411303424n],"n":10n}')
    fc.assert(fc.property(recordArb, recordArb, (a, b) => sameValue(a, b) === (canonical(a) === canonical(b))), { numRuns: 1000 })
    fc.assert(fc.property(recordArb, r => sameValue(r, structuredClone(r))))
  })

  it('samePicked compares the picked fields as canonical does', () => {
    const pick = (o: Record<string, unknown>, fs: string[]): Record<string, unknown> => Object.fromEntries(fs.map(k => [k, o[k]]))
    const fields = ['a', 'b']
    fc.assert(fc.property(valueArb, valueArb, valueArb, valueArb, (a1, b1, a2, b2) => {
      const x = { a: a1, b: b1 }
      const y = { a: a2, b: b2 }
      return samePicked(x, y, fields) === (canonical(pick(x, fields)) === canonical(pick(y, fields)))
    }), { numRuns: 3000 })
  })
})

describe('hashCanonical', () => {
  it('equals hash32 of the canonical text, so digests stay comparable with peers that build the text', () => {
    fc.assert(fc.property(valueArb, v => hashCanonical(v) === hash32(canonical(v))), { numRuns: 5000 })
    fc.assert(fc.property(recordArb, r => hashCanonical(r) === hash32(canonical(r))), { numRuns: 1000 })
    fc.assert(fc.property(fc.string({ unit: 'binary' }), s => hashCanonical({ [s]: s }) === hash32(canonical({ [s]: s }))), { numRuns: 2000 })
    fc.assert(fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.double(), fc.boolean()), n => hashCanonical({ n, a: [n] }) === hash32(canonical({ n, a: [n] }))), { numRuns: 5000 })
    for (const n of [0, -0, 1, 9, 10, 99, 100, -10, 1e8 - 1, 1e8, 1e8 + 1, -1e8, 1e16, 1234567800000001, 1764390000123, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e15, 2 ** 53 + 2]) expect(hashCanonical(n)).toBe(hash32(canonical(n)))
    expect(hashCanonical({ a: 'é\u0000"\\', b: [1.5, -0, null] })).toBe(hash32(canonical({ a: 'é\u0000"\\', b: [1.5, -0, null] })))
  })
})
