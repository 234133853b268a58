// Anti-entropy digests: per partition, the count of records and the XOR of
// their fingerprints. XOR makes the digest independent of order and cheap to
// update on every write; two peers whose records in a partition are equal
// have equal digests, and a difference tells them which partitions to look at.
// Each partition is split again into SYNC_BUCKETS buckets by a hash of the id,
// with a digest of their own, so two peers whose partition differs by a few
// records exchange the ids of a few buckets, not of the whole partition.
import { fnv1a32, mix32 } from '../lease/hash.js'
import { HASH_START, hashByte, hashFinish, hashValue, hashWord } from './canonical.js'
import { SYNC_BUCKETS } from './constants.js'
import type { TaskRecord } from './record.js'

/** The wire form: `counts[i]` and `hashes[i]` for each partition (or bucket) i. */
export interface DigestBody {
  counts: number[]
  hashes: number[]
}

/** Strings hashed once and remembered: the few that repeat in every record (peer ids, task names, states). */
const STRING_HASHES_MAX = 4096
const stringHashes = new Map<string, number>()

function stringHash(s: string): number {
  let x = stringHashes.get(s)
  if (x === undefined) {
    if (stringHashes.size >= STRING_HASHES_MAX) stringHashes.clear()
    x = fnv1a32(s)
    stringHashes.set(s, x)
  }
  return x
}

/** A number as two 32-bit words when it is a safe integer (timestamps, counters), else as its canonical text. */
function hashNumber(h: number, n: unknown): number {
  if (typeof n === 'number' && Number.isSafeInteger(n)) return hashWord(hashWord(hashByte(h, 1), n >>> 0), Math.floor(n / 0x1_0000_0000) | 0)
  return hashValue(hashByte(h, 2), n)
}

/** An optional field: a marker when absent, else the value as hashValue has it. */
function hashOptional(h: number, v: unknown): number {
  return v === undefined ? hashByte(h, 0) : hashValue(hashByte(h, 3), v)
}

/**
 * The record's fingerprint: a 32-bit hash of every field, in a fixed order, with field names left out (the order
 * names them) and the strings that repeat in every record (peers, name, state) hashed once each and remembered.
 * Equal records have equal fingerprints whatever order their fields were written in; the user's `input` and error
 * shapes are hashed in canonical form (keys sorted). Every peer of a wire version computes it the same way.
 */
export function fingerprint(r: TaskRecord): number {
  let h = hashValue(HASH_START, r.id)
  h = hashWord(h, stringHash(r.name))
  h = hashWord(h, stringHash(r.scope))
  h = hashNumber(h, r.partition)
  h = hashValue(h, r.input)
  h = hashNumber(h, r.priority)
  h = hashOptional(h, r.idempotencyKey)
  h = hashOptional(h, r.timeoutMs)
  h = hashOptional(h, r.expiresAt)
  h = hashNumber(h, r.createdAt)
  h = hashWord(h, stringHash(r.creator))
  h = hashWord(h, stringHash(r.state))
  h = hashNumber(h, r.round)
  h = hashNumber(h, r.runAt)
  h = hashNumber(h, r.version)
  h = hashWord(h, stringHash(r.writer))
  h = hashNumber(h, r.updatedAt)
  h = hashByte(h, r.deleted ? 1 : 0)
  h = hashOptional(h, r.error)
  h = hashNumber(h, r.attempts.length)
  for (const a of r.attempts) {
    // The key is peer#round.n: hashing those covers it.
    h = hashWord(h, stringHash(a.peer))
    h = hashNumber(h, a.round)
    h = hashNumber(h, a.n)
    h = hashOptional(h, a.fence)
    h = hashNumber(h, a.startedAt)
    h = hashOptional(h, a.endedAt)
    h = a.outcome === undefined ? hashByte(h, 0) : hashWord(h, stringHash(a.outcome))
    h = hashOptional(h, a.error)
    h = hashOptional(h, a.retryAt)
  }
  return hashFinish(h)
}

/** Seeds the bucket hash apart from the partition hash (both hash the id), so the buckets of a partition fill evenly. */
const BUCKET_SEED = 0x9e3779b9

/** The bucket of `id` within its partition, in [0, SYNC_BUCKETS). */
export function bucketOf(id: string): number {
  return mix32(fnv1a32(id, BUCKET_SEED)) % SYNC_BUCKETS
}

export class Digest {
  private readonly counts: Uint32Array
  private readonly hashes: Uint32Array
  /** Per partition p and bucket b, at p * SYNC_BUCKETS + b. */
  private readonly bucketCounts: Uint32Array
  private readonly bucketHashes: Uint32Array

  constructor(readonly partitions: number) {
    this.counts = new Uint32Array(partitions)
    this.hashes = new Uint32Array(partitions)
    this.bucketCounts = new Uint32Array(partitions * SYNC_BUCKETS)
    this.bucketHashes = new Uint32Array(partitions * SYNC_BUCKETS)
  }

  /** Replaces `before` (absent when undefined) by `after` (removed when undefined) in partition p, bucket b. */
  update(p: number, b: number, before: number | undefined, after: number | undefined): void {
    const cell = p * SYNC_BUCKETS + b
    if (before !== undefined) {
      this.counts[p] = (this.counts[p] ?? 0) - 1
      this.hashes[p] = (this.hashes[p] ?? 0) ^ before
      this.bucketCounts[cell] = (this.bucketCounts[cell] ?? 0) - 1
      this.bucketHashes[cell] = (this.bucketHashes[cell] ?? 0) ^ before
    }
    if (after !== undefined) {
      this.counts[p] = (this.counts[p] ?? 0) + 1
      this.hashes[p] = (this.hashes[p] ?? 0) ^ after
      this.bucketCounts[cell] = (this.bucketCounts[cell] ?? 0) + 1
      this.bucketHashes[cell] = (this.bucketHashes[cell] ?? 0) ^ after
    }
  }

  body(): DigestBody {
    return { counts: [...this.counts], hashes: [...this.hashes] }
  }

  /** How many records bucket b of partition p holds. */
  bucketCount(p: number, b: number): number {
    return this.bucketCounts[p * SYNC_BUCKETS + b] ?? 0
  }

  /** The digest of each bucket of partition p. */
  buckets(p: number): DigestBody {
    const from = p * SYNC_BUCKETS
    return { counts: [...this.bucketCounts.subarray(from, from + SYNC_BUCKETS)], hashes: [...this.bucketHashes.subarray(from, from + SYNC_BUCKETS)] }
  }
}

/** Indexes (partitions or buckets) whose digests differ; all of them when the shapes disagree. */
export function diffDigests(a: DigestBody, b: DigestBody): number[] {
  const n = Math.max(a.counts.length, b.counts.length)
  const out: number[] = []
  for (let p = 0; p < n; p++) {
    if (a.counts[p] !== b.counts[p] || a.hashes[p] !== b.hashes[p]) out.push(p)
  }
  return out
}

/** A digest body of `length` entries (partitions, or the buckets of one). */
export function isDigestBody(v: unknown, length: number): v is DigestBody {
  if (typeof v !== 'object' || v === null) return false
  const { counts, hashes } = v as Record<string, unknown>
  return Array.isArray(counts) && Array.isArray(hashes) && counts.length === length && hashes.length === length
    && counts.every(Number.isInteger) && hashes.every(Number.isInteger)
}
