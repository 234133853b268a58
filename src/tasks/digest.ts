// Anti-entropy digests: per partition, the count of records and the XOR of
// their fingerprints. XOR makes the digest independent of order and cheap to
// update on every write; two peers whose records in a partition are equal
// have equal digests, and a difference tells them which partitions to look at.
// Each partition is split again into SYNC_BUCKETS buckets by a hash of the id,
// with a digest of their own, so two peers whose partition differs by a few
// records exchange the ids of a few buckets, not of the whole partition.
import { fnv1a32, mix32 } from '../lease/hash.js'
import { hashCanonical } from './canonical.js'
import { SYNC_BUCKETS } from './constants.js'
import type { TaskRecord } from './record.js'

/** The wire form: `counts[i]` and `hashes[i]` for each partition (or bucket) i. */
export interface DigestBody {
  counts: number[]
  hashes: number[]
}

/** hash32(canonical(r)), computed without building the text. */
export function fingerprint(r: TaskRecord): number {
  return hashCanonical(r)
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
