// Stable hashing: FNV-1a over UTF-8 for keys, a murmur3 finalizer to mix,
// and rendezvous (highest random weight) ranking of workers per partition.
// These functions define where keys live; changing them moves every key.

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME)
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (encoded inline: no allocation); `from` continues an earlier state. */
export function fnv1a32(text: string, from = FNV_OFFSET): number {
  let h = from
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdfff) {
      const lo = i + 1 < text.length ? text.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00)
        i++
      } else c = 0xfffd // a lone surrogate encodes as U+FFFD, as TextEncoder does
    }
    if (c < 0x80) h = fnvByte(h, c)
    else if (c < 0x800) h = fnvByte(fnvByte(h, 0xc0 | (c >> 6)), 0x80 | (c & 0x3f))
    else if (c < 0x10000) h = fnvByte(fnvByte(fnvByte(h, 0xe0 | (c >> 12)), 0x80 | ((c >> 6) & 0x3f)), 0x80 | (c & 0x3f))
    else h = fnvByte(fnvByte(fnvByte(fnvByte(h, 0xf0 | (c >> 18)), 0x80 | ((c >> 12) & 0x3f)), 0x80 | ((c >> 6) & 0x3f)), 0x80 | (c & 0x3f))
  }
  return h >>> 0
}

/** The murmur3 32-bit finalizer: spreads every input bit over the output. */
export function mix32(x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The lease partition of a key. Stable across processes, versions and platforms. */
export function partitionOf(key: string, partitions: number): number {
  return mix32(fnv1a32(key)) % partitions
}

/** HRW weight of `peer` for `partition`; ties (rare) break by peer id. */
export function hrwScore(peer: string, partition: number): number {
  return mix32(fnv1a32(peer) ^ mix32(partition + 0x9e3779b9))
}

/** Workers ordered by HRW weight for `partition`, best first. */
export function hrwRank(workers: readonly string[], partition: number): string[] {
  return [...workers].sort((a, b) => hrwScore(b, partition) - hrwScore(a, partition) || (a < b ? -1 : a > b ? 1 : 0))
}
