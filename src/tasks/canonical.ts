// A canonical text form (keys sorted, undefined dropped) and a 32-bit hash of
// it: the last tie-break of the merge order and the digest fingerprints must
// not depend on the order fields were written in.

import { fnv1a32, mix32 } from '../lease/hash.js'

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

/** FNV-1a over UTF-8 with a murmur3 finalizer: the lease module's key hash, so partitions agree. */
export function hash32(text: string): number {
  return mix32(fnv1a32(text))
}
