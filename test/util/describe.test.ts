import { describe, expect, it } from 'vitest'
import { cutText, describeValue } from '../../src/util/describe.js'

describe('describeValue', () => {
  it('never calls into a map, however its toString and valueOf are set', () => {
    const hostile = { toString: 1, valueOf: 1 }
    expect(() => String(hostile)).toThrow(TypeError)
    expect(describeValue(hostile)).toBe('object')
    const throwing = { toString: () => { throw new Error('called') } }
    expect(describeValue(throwing)).toBe('object')
  })

  it('prints scalars and short strings, and only the size of long or bulky values', () => {
    expect(describeValue(3)).toBe('3')
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue(null)).toBe('null')
    expect(describeValue(10n)).toBe('10n')
    expect(describeValue('ab')).toBe('"ab"')
    expect(describeValue('x'.repeat(41))).toBe('string(41)')
    expect(describeValue([1, 2])).toBe('array(2)')
    expect(describeValue(new Uint8Array(5))).toBe('bytes(5)')
  })
})

describe('cutText', () => {
  it('keeps short text and cuts long text to the limit, saying how long it was', () => {
    expect(cutText('abc', 3)).toBe('abc')
    const cut = cutText('x'.repeat(100), 40)
    expect(cut).toHaveLength(40)
    expect(cut.endsWith('… (100 characters)')).toBe(true)
  })
})
