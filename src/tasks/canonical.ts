// A canonical text form (keys sorted, undefined dropped) and a 32-bit hash of
// it: the last tie-break of the merge order and the digest fingerprints must
// not depend on the order fields were written in.

export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return value === undefined ? 'null' : JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value instanceof Uint8Array) return `b"${Buffer.from(value).toString('base64')}"`
  const keys = Object.keys(value).filter(k => (value as Record<string, unknown>)[k] !== undefined).sort()
  return `{${keys.map(k => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

const encoder = new TextEncoder()

/** FNV-1a over UTF-8, then the murmur3 finalizer. Not for secrets; stable across platforms. */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (const byte of encoder.encode(text)) {
    h ^= byte
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
