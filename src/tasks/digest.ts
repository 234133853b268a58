// Anti-entropy digests: per partition, the count of records and the XOR of
// their fingerprints. XOR makes the digest independent of order and cheap to
// update on every write; two peers whose records in a partition are equal
// have equal digests, and a difference tells them which partitions to page.
import { hashCanonical } from './canonical.js'
import type { TaskRecord } from './record.js'

/** The wire form: `counts[p]` and `hashes[p]` for each partition p. */
export interface DigestBody {
  counts: number[]
  hashes: number[]
}

/** hash32(canonical(r)), computed without building the text. */
export function fingerprint(r: TaskRecord): number {
  return hashCanonical(r)
}

export class Digest {
  private readonly counts: Uint32Array
  private readonly hashes: Uint32Array

  constructor(readonly partitions: number) {
    this.counts = new Uint32Array(partitions)
    this.hashes = new Uint32Array(partitions)
  }

  /** Replaces `before` (absent when undefined) by `after` (removed when undefined) in partition p. */
  update(p: number, before: number | undefined, after: number | undefined): void {
    if (before !== undefined) {
      this.counts[p] = (this.counts[p] ?? 0) - 1
      this.hashes[p] = (this.hashes[p] ?? 0) ^ before
    }
    if (after !== undefined) {
      this.counts[p] = (this.counts[p] ?? 0) + 1
      this.hashes[p] = (this.hashes[p] ?? 0) ^ after
    }
  }

  body(): DigestBody {
    return { counts: [...this.counts], hashes: [...this.hashes] }
  }
}

/** Partitions whose digests differ; all of them when the shapes disagree. */
export function diffDigests(a: DigestBody, b: DigestBody): number[] {
  const n = Math.max(a.counts.length, b.counts.length)
  const out: number[] = []
  for (let p = 0; p < n; p++) {
    if (a.counts[p] !== b.counts[p] || a.hashes[p] !== b.hashes[p]) out.push(p)
  }
  return out
}

export function isDigestBody(v: unknown, partitions: number): v is DigestBody {
  if (typeof v !== 'object' || v === null) return false
  const { counts, hashes } = v as Record<string, unknown>
  return Array.isArray(counts) && Array.isArray(hashes) && counts.length === partitions && hashes.length === partitions
    && counts.every(Number.isInteger) && hashes.every(Number.isInteger)
}
