// GET inputs: the query string as an object of strings. A key given twice
// becomes an array (`?tag=a&tag=b` -> `{ tag: ['a', 'b'] }`). Nothing is
// coerced here; the action's schema decides (zod: `z.coerce.number()`).

export function queryInput(url: string): Record<string, string | string[]> {
  // Only the query is parsed (a whole `new URL` per request costs more than the rest of this).
  const start = url.indexOf('?')
  if (start === -1) return {}
  const hash = url.indexOf('#', start)
  const entries = new Map<string, string | string[]>()
  for (const [key, value] of new URLSearchParams(hash === -1 ? url.slice(start + 1) : url.slice(start + 1, hash))) {
    const seen = entries.get(key)
    entries.set(key, seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value])
  }
  // fromEntries defines own properties, so `?__proto__=x` cannot reach the prototype.
  return Object.fromEntries(entries)
}
