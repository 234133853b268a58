// Anti-entropy over the Messenger, so gossip is never the only path. A sync
// exchange with one peer, in three steps:
// 1. digest: our per-partition digest; the peer answers which partitions differ;
// 2. summary: for each of those, our digest of each bucket of the partition;
//    the peer answers with the ids and fingerprints of its records in the
//    buckets that differ (whole buckets, a few thousand ids per reply);
// 3. we pull the records whose fingerprint differs from ours (or that we
//    lack), merge them, then push ours that the peer lacks or holds otherwise.
// Both sides end with the merge of both. Only records that differ travel, and
// only the ids of buckets that differ: a partition of 100,000 records that
// differs by one in-flight record costs one bucket's ids, not the partition.
// Digests, summaries and comparisons see records as they were syncSettleMs
// ago: records in flight, which gossip is delivering, are left to the next
// round instead of making every partition differ while tasks stream through.
// A handover is the exception: for the partitions just acquired, every bucket
// is compared as it is now (`fresh`), so a task the old holder has just
// finished is not run again.
// Run with every peer at start, with one random peer every syncIntervalMs,
// and with every peer when this peer acquires partitions.
import { ProtocolError } from '../errors.js'
import { describeValue } from '../util/describe.js'
import type { Logger } from '../util/logger.js'
import type { Messenger } from '../wire/messenger.js'
import { checkRecords, recordBytes } from './codec.js'
import { compactRecords, type CompactRecords } from './compact.js'
import {
  CHANNEL_DIGEST, CHANNEL_PULL, CHANNEL_PUT, CHANNEL_SUMMARY, SYNC_BUCKETS, SYNC_PAGES_MAX, SYNC_REQUEST_BYTES, SYNC_SUMMARY_IDS,
  TASK_ID_LENGTH_MAX, WIRE_VERSION,
} from './constants.js'
import { diffDigests, isDigestBody, type DigestBody } from './digest.js'
import type { PutBody } from './replicate.js'
import type { TaskRecord } from './record.js'
import type { TaskStore } from './store.js'

/**
 * Step 2: the asker's digest of each bucket of `partition`; buckets below `from` were covered by earlier replies.
 * With `fresh`, every bucket is answered, as it is now (a handover).
 */
export interface SummaryBody extends DigestBody {
  v: number
  partition: number
  from?: number
  fresh?: boolean
}

/** The answerer's ids and fingerprints of its records in `buckets` (those that differ, from `from` on); `next` is the first differing bucket left out. */
export interface SummaryReply {
  buckets: number[]
  ids: string[]
  fps: number[]
  next?: number
}

/** Step 3: records of `partition` by id (at most pageRecords ids). */
export interface PullBody {
  v: number
  partition: number
  ids: string[]
}

export interface PullReply extends CompactRecords {
  /** Ids asked for and held, left out to keep the reply under SYNC_REQUEST_BYTES: ask again. */
  rest?: string[]
}

export interface SyncDeps {
  store: TaskStore
  messenger: Messenger
  logger: Logger
  partitions: number
  partitionOf: (id: string) => number
  pageRecords: number
  retentionMs: number
  timeoutMs: number
}

export interface SyncResult {
  /** Partitions whose digests differed. */
  partitions: number
  /** Records pulled that changed ours. */
  pulled: number
  /** Records pushed to the peer. */
  pushed: number
}

interface Opts {
  timeoutMs: number
  signal?: AbortSignal
}

export interface SyncOptions {
  signal?: AbortSignal
  /** Partitions to compare in full, as they are now, whatever the digests say (those just acquired). */
  fresh?: readonly number[]
}

/** One full exchange with `peer`. Rejects on the first failed request (the next round retries). */
export async function syncWith(deps: SyncDeps, peer: string, options: SyncOptions = {}): Promise<SyncResult> {
  const opts = { timeoutMs: deps.timeoutMs, signal: options.signal }
  const fresh = new Set(options.fresh ?? [])
  const result: SyncResult = { partitions: 0, pulled: 0, pushed: 0 }
  for (const p of fresh) {
    result.partitions++
    await syncPartition(deps, peer, p, true, opts, result)
  }
  const reply = await deps.messenger.request(peer, CHANNEL_DIGEST, { v: WIRE_VERSION, digest: deps.store.digest.body() }, opts) as { partitions?: unknown }
  const differing = Array.isArray(reply?.partitions) ? reply.partitions.filter((p): p is number => Number.isInteger(p) && p >= 0 && p < deps.partitions && !fresh.has(p)) : []
  result.partitions += differing.length
  for (const p of differing) await syncPartition(deps, peer, p, false, opts, result)
  return result
}

async function syncPartition(deps: SyncDeps, peer: string, p: number, fresh: boolean, opts: Opts, result: SyncResult): Promise<void> {
  let from = 0
  for (let requests = 0; requests < SYNC_PAGES_MAX; requests++) {
    const body: SummaryBody = { v: WIRE_VERSION, partition: p, ...deps.store.digest.buckets(p), from, ...(fresh ? { fresh } : {}) }
    const sum = parseSummary(await deps.messenger.request(peer, CHANNEL_SUMMARY, body, opts), from)
    if (sum === undefined) {
      deps.logger.warn('dropped a malformed sync summary', { from: peer, partition: p })
      return
    }
    const theirs = new Map<string, number>()
    const want: string[] = []
    for (let i = 0; i < sum.ids.length; i++) {
      const id = sum.ids[i] as string
      theirs.set(id, sum.fps[i] as number)
      if (deps.partitionOf(id) === p && deps.store.fingerprintOf(id, fresh) !== sum.fps[i]) want.push(id)
    }
    for (let i = 0; i < want.length; i += deps.pageRecords) result.pulled += await pull(deps, peer, p, want.slice(i, i + deps.pageRecords), opts)
    // Ours in the same buckets, after that merge, that the peer lacks or holds otherwise.
    const ours = deps.store.summary(p, sum.buckets, fresh)
    const give: TaskRecord[] = []
    for (let i = 0; i < ours.ids.length; i++) {
      if (theirs.get(ours.ids[i] as string) === ours.fps[i]) continue
      const r = deps.store.get(ours.ids[i] as string)
      if (r !== undefined) give.push(r)
    }
    result.pushed += await push(deps, peer, give, opts)
    if (sum.next === undefined) return
    from = sum.next
  }
}

/** Pulls `ids` of partition p (asking again for what a reply left out); resolves with how many changed our records. */
async function pull(deps: SyncDeps, peer: string, p: number, ids: string[], opts: Opts): Promise<number> {
  let changed = 0
  for (let ask = ids, requests = 0; ask.length > 0 && requests < SYNC_PAGES_MAX; requests++) {
    const reply = await deps.messenger.request(peer, CHANNEL_PULL, { v: WIRE_VERSION, partition: p, ids: ask } satisfies PullBody, opts) as Partial<PullReply> | undefined
    const { records, dropped } = checkRecords(reply, deps.partitions)
    if (dropped > 0) deps.logger.warn('dropped malformed records from a sync pull', { from: peer, dropped })
    changed += (await deps.store.merge(records, deps.retentionMs)).length
    // What was left out must be a strict subset of what was asked, so every request makes progress.
    const asked = new Set(ask)
    const rest = Array.isArray(reply?.rest) ? reply.rest.filter((id): id is string => typeof id === 'string' && asked.has(id)) : []
    ask = rest.length < ask.length ? rest : []
  }
  return changed
}

/** Sends records in requests of at most pageRecords records and SYNC_REQUEST_BYTES encoded bytes (one record always goes). */
async function push(deps: SyncDeps, peer: string, records: readonly TaskRecord[], opts: Opts): Promise<number> {
  let batch: TaskRecord[] = []
  let bytes = 0
  const send = async (): Promise<void> => {
    await deps.messenger.request(peer, CHANNEL_PUT, { v: WIRE_VERSION, ...compactRecords(batch) } satisfies PutBody, opts)
    batch = []
    bytes = 0
  }
  for (const r of records) {
    const size = recordBytes(r)
    if (batch.length > 0 && (batch.length >= deps.pageRecords || bytes + size > SYNC_REQUEST_BYTES)) await send()
    batch.push(r)
    bytes += size
  }
  if (batch.length > 0) await send()
  return records.length
}

/** A summary reply as sent by a peer of this version, or undefined. Buckets move forward from `from`, so the loop ends. */
function parseSummary(v: unknown, from: number): SummaryReply | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const { buckets, ids, fps, next } = v as Partial<SummaryReply>
  if (!Array.isArray(buckets) || !Array.isArray(ids) || !Array.isArray(fps) || ids.length !== fps.length) return undefined
  let last = from - 1
  for (const b of buckets) {
    if (!Number.isInteger(b) || b <= last || b >= SYNC_BUCKETS) return undefined
    last = b
  }
  if (!ids.every(id => typeof id === 'string' && id.length <= TASK_ID_LENGTH_MAX) || !fps.every(Number.isInteger)) return undefined
  if (next !== undefined && (!Number.isInteger(next) || next <= last || next >= SYNC_BUCKETS)) return undefined
  return { buckets, ids, fps, next }
}

/**
 * Registers the answering side: digest, summary, pull, and put (shared with replication). `onPut` stores a put's
 * records and returns the partitions of its new "any" tasks that this peer does not hold (the reply's `away`): their
 * sender lets the holder know by gossip at once.
 */
export function serveSync(deps: SyncDeps, onPut: (records: TaskRecord[], from: string) => Promise<readonly number[]>): () => void {
  const { messenger } = deps
  const isPartition = (p: unknown): p is number => Number.isInteger(p) && (p as number) >= 0 && (p as number) < deps.partitions
  messenger.handle(CHANNEL_DIGEST, (_from, body) => {
    const digest = (body as { digest?: unknown })?.digest
    if (!isDigestBody(digest, deps.partitions)) return { partitions: allPartitions(deps.partitions) }
    return { partitions: diffDigests(deps.store.digest.body(), digest as DigestBody) }
  })
  messenger.handle(CHANNEL_SUMMARY, (_from, body): SummaryReply => {
    const { partition, from = 0, fresh = false } = (body ?? {}) as Partial<SummaryBody>
    if (!isPartition(partition) || !Number.isInteger(from) || !isDigestBody(body, SYNC_BUCKETS)) return { buckets: [], ids: [], fps: [] }
    const all = fresh === true
    const differing = (all ? Array.from({ length: SYNC_BUCKETS }, (_, b) => b) : diffDigests(deps.store.digest.buckets(partition), body)).filter(b => b >= from)
    // Whole buckets until SYNC_SUMMARY_IDS ids, at least one.
    const buckets: number[] = []
    let n = 0
    for (const b of differing) {
      const size = deps.store.bucketSize(partition, b)
      if (buckets.length > 0 && n + size > SYNC_SUMMARY_IDS) break
      buckets.push(b)
      n += size
    }
    const next = differing[buckets.length]
    return { buckets, ...deps.store.summary(partition, buckets, all), ...(next === undefined ? {} : { next }) }
  })
  messenger.handle(CHANNEL_PULL, (_from, body): PullReply => {
    const { v, partition, ids } = (body ?? {}) as Partial<PullBody>
    if (v !== WIRE_VERSION) throw new ProtocolError(`a tasks/pull of wire version ${describeValue(v)}; this peer speaks ${WIRE_VERSION}`)
    if (!isPartition(partition) || !Array.isArray(ids)) return { peers: [], records: [] }
    const records: TaskRecord[] = []
    const rest: string[] = []
    let bytes = 0
    for (const id of ids.slice(0, deps.pageRecords)) {
      // No id is longer, and lmdb throws on a key past its size limit.
      if (typeof id !== 'string' || id.length > TASK_ID_LENGTH_MAX || deps.partitionOf(id) !== partition) continue
      const r = deps.store.get(id)
      if (r === undefined) continue
      const size = recordBytes(r)
      if (records.length > 0 && bytes + size > SYNC_REQUEST_BYTES) rest.push(id)
      else {
        records.push(r)
        bytes += size
      }
    }
    return rest.length === 0 ? compactRecords(records) : { ...compactRecords(records), rest }
  })
  messenger.handle(CHANNEL_PUT, async (from, body) => {
    // A put of another version is refused, not acked as stored: its sender must not count this peer as a replica.
    const v = (body as Partial<PutBody> | undefined)?.v
    if (v !== WIRE_VERSION) throw new ProtocolError(`a tasks/put of wire version ${describeValue(v)}; this peer speaks ${WIRE_VERSION}`)
    const { records, dropped } = checkRecords(body, deps.partitions)
    if (dropped > 0) deps.logger.warn('dropped malformed records from a put', { from, dropped })
    const away = await onPut(records, from)
    return away.length === 0 ? { stored: records.length } : { stored: records.length, away }
  })
  return () => {
    for (const c of [CHANNEL_DIGEST, CHANNEL_SUMMARY, CHANNEL_PULL, CHANNEL_PUT]) messenger.unhandle(c)
  }
}

function allPartitions(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}
