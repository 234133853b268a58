// GET inputs: the query string as an object of strings. A key given twice
// becomes an array (`?tag=a&tag=b` -> `{ tag: ['a', 'b'] }`). Nothing is
// coerced here; the action's schema decides (zod: `z.coerce.number()`).

export function queryInput(url: string): Record<string, string | string[]> {
  // Only the query is parsed (a whole `new URL` per request costs more than the rest of this).
  const start = url.indexOf('?')
  if (start === -1) return {}
  const hash = url.indexOf('#', start)
  const query = hash === -1 ? url.slice(start + 1) : url.slice(start + 1, hash)
  // Nothing to decode (plain ASCII, no `%`, no `+`): split by hand, as URLSearchParams would.
  if (isPlain(query)) {
    const plain = splitPlain(query)
    if (plain !== undefined) return plain
  }
  const entries = new Map<string, string | string[]>()
  for (const [key, value] of new URLSearchParams(query)) add(entries, key, value)
  // fromEntries defines own properties, so `?__proto__=x` cannot reach the prototype.
  return Object.fromEntries(entries)
}

/** undefined for a `__proto__` key, which an assignment would not make an own property: the caller takes the general path. */
function splitPlain(query: string): Record<string, string | string[]> | undefined {
  const out: Record<string, string | string[]> = {}
  let from = 0
  while (from <= query.length) {
    let end = query.indexOf('&', from)
    if (end === -1) end = query.length
    if (end > from) {
      const eq = query.indexOf('=', from)
      const key = eq === -1 || eq > end ? query.slice(from, end) : query.slice(from, eq)
      const value = eq === -1 || eq > end ? '' : query.slice(eq + 1, end)
      if (key === '__proto__') return undefined
      const seen = Object.hasOwn(out, key) ? out[key] : undefined
      out[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value]
    }
    from = end + 1
  }
  return out
}

function isPlain(query: string): boolean {
  for (let i = 0; i < query.length; i++) {
    const code = query.charCodeAt(i)
    if (code === 0x25 || code === 0x2b || code > 0x7e) return false // '%', '+', beyond ASCII
  }
  return true
}

function add(entries: Map<string, string | string[]>, key: string, value: string): void {
  const seen = entries.get(key)
  entries.set(key, seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value])
}
