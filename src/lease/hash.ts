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

/** Peer ids whose FNV hash is kept: placement asks for the same few ids on every tick, for every partition. */
export const PEER_HASHES_MAX = 4096
const peerHashes = new Map<string, number>()

/** fnv1a32(peer), remembered (the map is emptied when it reaches PEER_HASHES_MAX ids). */
function peerHash(peer: string): number {
  let h = peerHashes.get(peer)
  if (h === undefined) {
    if (peerHashes.size >= PEER_HASHES_MAX) peerHashes.clear()
    h = fnv1a32(peer)
    peerHashes.set(peer, h)
  }
  return h
}

/** HRW weight of `peer` for `partition`; ties (rare) break by peer id. */
export function hrwScore(peer: string, partition: number): number {
  return mix32(peerHash(peer) ^ mix32(partition + 0x9e3779b9))
}

/** Does worker `a` (weight `sa`) come before `b` (weight `sb`) for a partition: higher weight, ties by id? */
export function hrwBefore(a: string, sa: number, b: string, sb: number): boolean {
  return sa !== sb ? sa > sb : a < b
}

/** Workers ordered by HRW weight for `partition`, best first. Each weight is computed once, not once per comparison. */
export function hrwRank(workers: readonly string[], partition: number): string[] {
  const scored = workers.map((w) => ({ w, s: hrwScore(w, partition) }))
  scored.sort((a, b) => (hrwBefore(a.w, a.s, b.w, b.s) ? -1 : hrwBefore(b.w, b.s, a.w, a.s) ? 1 : 0))
  return scored.map((x) => x.w)
}

/** hrwRank(workers, partition)[0], without sorting or allocating: placement asks it for every held partition on every tick. */
export function hrwTop(workers: readonly string[], partition: number): string | undefined {
  let best: string | undefined
  let bestScore = 0
  // Indexed: an idle peer runs this unoptimized (TROUPE_V8_IDLE_FLAGS), where for-of allocates an iterator result per step.
  for (let i = 0; i < workers.length; i++) {
    const w = workers[i]!
    const score = hrwScore(w, partition)
    if (best === undefined || hrwBefore(w, score, best, bestScore)) { best = w; bestScore = score }
  }
  return best
}

/** hrwRank(workers, partition).indexOf(peer), without sorting: how many workers come before `peer` (-1 if absent). */
export function hrwIndex(workers: readonly string[], partition: number, peer: string): number {
  if (!workers.includes(peer)) return -1
  const mine = hrwScore(peer, partition)
  let n = 0
  for (const w of workers) if (w !== peer && hrwBefore(w, hrwScore(w, partition), peer, mine)) n++
  return n
}
