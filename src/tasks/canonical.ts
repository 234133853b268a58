// A canonical text form (keys sorted, undefined dropped) and a 32-bit hash of
// it: the last tie-break of the merge order and the digest fingerprints must
// not depend on the order fields were written in. `sameValue` answers "equal
// canonical forms?" without building them: the merge asks that question for
// nearly every copy it sees (gossip echoes, replica puts), and building two
// strings per record each time was the task plane's largest CPU cost.

import { fnv1a32, mix32 } from '../lease/hash.js'

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return scalarText(value)
  if (Array.isArray(value)) {
    let s = '['
    for (let i = 0; i < value.length; i++) s += (i === 0 ? '' : ',') + canonical(value[i])
    return `${s}]`
  }
  if (value instanceof Uint8Array) return `b"${Buffer.from(value).toString('base64')}"`
  const o = value as Record<string, unknown>
  const keys = Object.keys(o).sort()
  let s = '{'
  let first = true
  for (const k of keys) {
    const v = o[k]
    if (v === undefined) continue
    s += `${first ? '' : ','}${JSON.stringify(k)}:${canonical(v)}`
    first = false
  }
  return `${s}}`
}

/**
 * The canonical text of a value that is not an object: its JSON, except that a bigint (an input holding one, or a
 * 64-bit integer from another peer's msgpack) is its digits and `n`, which JSON.stringify would throw on, and
 * what JSON has no text for (undefined, a function, a symbol) is `null`.
 */
function scalarText(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  return value === undefined ? 'null' : JSON.stringify(value) ?? 'null'
}

/** True exactly when `canonical(a) === canonical(b)`, without building either. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  const ao = a !== null && typeof a === 'object'
  const bo = b !== null && typeof b === 'object'
  if (!ao || !bo) return !ao && !bo && canonical(a) === canonical(b)
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  return sameFields(a as Record<string, unknown>, b as Record<string, unknown>)
}

/** sameValue of two plain objects: the same defined keys with same values. */
function sameFields(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let n = 0
  for (const k in a) {
    const v = a[k]
    if (v === undefined) continue
    n++
    // An undefined field is absent (canonical drops it), even though
    // sameValue(null, undefined) holds for array slots.
    const w = b[k]
    if (w === undefined || !Object.hasOwn(b, k) || !sameValue(v, w)) return false
  }
  for (const k in b) if (b[k] !== undefined) n--
  return n === 0
}

/** True exactly when the canonical forms of `fields` of both are equal (a field left undefined is absent, as in canonical). */
export function samePicked(a: object, b: object, fields: readonly string[]): boolean {
  for (const k of fields) {
    const x = (a as Record<string, unknown>)[k]
    const y = (b as Record<string, unknown>)[k]
    if (x === undefined || y === undefined ? x !== y : !sameValue(x, y)) return false
  }
  return true
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** FNV-1a over UTF-8 with a murmur3 finalizer: the lease module's key hash, so partitions agree. */
export function hash32(text: string): number {
  return mix32(fnv1a32(text))
}

/**
 * `hash32(canonical(value))`, streamed: the FNV-1a state runs over the text
 * as it would be built, so a digest fingerprint allocates no string (it is
 * computed on every write of a record).
 */
export function hashCanonical(value: unknown): number {
  return mix32(hashInto(FNV_OFFSET, value) >>> 0)
}

/** The state a streamed hash starts from (hashValue, hashWord, hashByte continue it; hashFinish ends it). */
export const HASH_START = FNV_OFFSET

/** Continues a streamed hash over canonical(value). */
export function hashValue(h: number, value: unknown): number {
  return hashInto(h, value)
}

/** Continues a streamed hash over the four bytes of a 32-bit word. */
export function hashWord(h: number, w: number): number {
  return hashByte(hashByte(hashByte(hashByte(h, w & 0xff), (w >>> 8) & 0xff), (w >>> 16) & 0xff), w >>> 24)
}

/** Ends a streamed hash: a well-mixed unsigned 32-bit value. */
export function hashFinish(h: number): number {
  return mix32(h >>> 0)
}

function hashInto(h: number, value: unknown): number {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'string') return hashString(h, value)
    if (typeof value === 'number' && Number.isSafeInteger(value)) return hashInteger(h, value)
    if (typeof value === 'boolean') return hashText(h, value ? 'true' : 'false')
    return hashText(h, scalarText(value))
  }
  if (Array.isArray(value)) {
    h = hashByte(h, 0x5b) // [
    for (let i = 0; i < value.length; i++) {
      if (i > 0) h = hashByte(h, 0x2c) // ,
      h = hashInto(h, value[i])
    }
    return hashByte(h, 0x5d) // ]
  }
  if (value instanceof Uint8Array) return hashText(h, `b"${Buffer.from(value).toString('base64')}"`)
  const o = value as Record<string, unknown>
  const keys = sortedKeys(o)
  h = hashByte(h, 0x7b) // {
  let first = true
  for (const k of keys) {
    const v = o[k]
    if (v === undefined) continue
    if (!first) h = hashByte(h, 0x2c)
    h = hashByte(hashString(h, k), 0x3a) // :
    h = hashInto(h, v)
    first = false
  }
  return hashByte(h, 0x7d) // }
}

export function hashByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME)
}

/**
 * The keys of `o` sorted. Objects of one kind (records, attempts) list their keys in the same order, so the sorted
 * order of the last few key lists seen is kept and reused when the next object lists the same keys (compared one
 * by one: property names are interned, so each comparison is by reference).
 */
const SORTED_KEYS_CACHE = 8
const keyLists: Array<{ keys: string[], sorted: string[] }> = []
let keyListNext = 0

function sortedKeys(o: object): string[] {
  const keys = Object.keys(o)
  search: for (const known of keyLists) {
    if (known.keys.length !== keys.length) continue
    for (let i = 0; i < keys.length; i++) if (known.keys[i] !== keys[i]) continue search
    return known.sorted
  }
  const sorted = [...keys].sort()
  keyLists[keyListNext] = { keys, sorted }
  keyListNext = (keyListNext + 1) % SORTED_KEYS_CACHE
  return sorted
}

/** JSON.stringify(s) hashed; strings that need no escaping (nearly all) are hashed in place, in one pass. */
function hashString(h: number, s: string): number {
  let x = hashByte(h, 0x22)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) return hashText(h, JSON.stringify(s))
    x = Math.imul(x ^ c, FNV_PRIME)
  }
  return hashByte(x, 0x22)
}

const DIGITS = new Uint8Array(16)

/** JSON.stringify(n) hashed for a safe integer, digit by digit (no string: records hold a dozen integers). */
function hashInteger(h: number, n: number): number {
  if (n < 0) {
    h = hashByte(h, 0x2d) // -
    n = -n
  }
  // Digits from the last: eight at a time with one float division while the number is large, then in int32 math.
  let len = 0
  while (n >= 1e8) {
    const q = Math.floor(n / 1e8)
    let r = n - q * 1e8
    for (let i = 0; i < 8; i++) {
      DIGITS[len++] = r % 10
      r = (r / 10) | 0
    }
    n = q
  }
  do {
    DIGITS[len++] = n % 10
    n = (n / 10) | 0
  } while (n > 0)
  for (let i = len - 1; i >= 0; i--) h = hashByte(h, 0x30 + (DIGITS[i] as number))
  return h
}

/** Continues FNV-1a over the UTF-8 bytes of `text`. */
function hashText(h: number, text: string): number {
  return fnv1a32(text, h)
}
