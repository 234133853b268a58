// queryInput splits plain queries by hand; it must give what URLSearchParams gives.
import { describe, expect, it } from 'vitest'
import { queryInput } from '../../src/http/query.js'

function reference(url: string): Record<string, string | string[]> {
  const q = url.indexOf('?')
  if (q === -1) return {}
  const h = url.indexOf('#', q)
  const out = new Map<string, string | string[]>()
  for (const [k, v] of new URLSearchParams(h === -1 ? url.slice(q + 1) : url.slice(q + 1, h))) {
    const seen = out.get(k)
    out.set(k, seen === undefined ? v : [...(Array.isArray(seen) ? seen : [seen]), v])
  }
  return Object.fromEntries(out)
}

describe('queryInput', () => {
  it('matches URLSearchParams on plain and encoded queries', () => {
    const cases = ['/a', '/a?', '/a?x', '/a?x=', '/a?=1', '/a?x=1&y=2', '/a?x=1&x=2&x=3', '/a?&&x=1&&', '/a?x=a=b', '/a?x=1#y=2',
      '/a?name=x%20y', '/a?name=a+b', '/a?k%3D=v', '/a?x=%E0%A4%A', '/a?é=ü', '/a?constructor=1&toString=2', '/a?1=a&0=b', '/a?__proto__=x', '/a?x=1&__proto__=y']
    for (const url of cases) expect(queryInput(url), url).toEqual(reference(url))
  })

  it('keeps __proto__ an own key, off the prototype', () => {
    const input = queryInput('/a?__proto__=x&y=1')
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype)
    expect(Object.hasOwn(input, '__proto__')).toBe(true)
  })

  it('matches URLSearchParams on random queries', () => {
    const alphabet = ['a', 'b', '=', '&', '%', '2', '0', '+', '#', 'é', '_', '.']
    let seed = 7
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648)
    for (let i = 0; i < 2000; i++) {
      let q = '/x?'
      for (let n = next() % 12; n > 0; n--) q += alphabet[next() % alphabet.length]
      expect(queryInput(q), q).toEqual(reference(q))
    }
  })
})
