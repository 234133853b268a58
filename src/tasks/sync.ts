// Anti-entropy over the Messenger, so gossip is never the only path: a peer
// sends its per-partition digest to another, which answers with the
// partitions that differ; the first then pulls those partitions page by page
// and pushes its own records of them. Both sides end with the merge of both.
// Run with every peer at start, with one random peer every syncIntervalMs,
// and with every peer when this peer acquires partitions.
import type { Logger } from '../util/logger.js'
import type { Messenger } from '../wire/messenger.js'
import { checkRecords } from './codec.js'
import { CHANNEL_DIGEST, CHANNEL_PULL, CHANNEL_PUT, SYNC_PAGES_MAX, TASK_ID_LENGTH_MAX, WIRE_VERSION } from './constants.js'
import { diffDigests, isDigestBody, type DigestBody } from './digest.js'
import type { PutBody } from './replicate.js'
import type { TaskRecord } from './record.js'
import type { TaskStore } from './store.js'

export interface PullBody {
  v: number
  partition: number
  after?: string
}

export interface PullReply {
  records: TaskRecord[]
  /** The id to pass as `after` for the next page; absent on the last page. */
  next?: string
}

export interface SyncDeps {
  store: TaskStore
  messenger: Messenger
  logger: Logger
  partitions: number
  pageRecords: number
  retentionMs: number
  timeoutMs: number
}

export interface SyncResult {
  partitions: number
  pulled: number
  pushed: number
}

/** One full exchange with `peer`. Rejects on the first failed request (the next round retries). */
export async function syncWith(deps: SyncDeps, peer: string, signal?: AbortSignal): Promise<SyncResult> {
  const opts = { timeoutMs: deps.timeoutMs, signal }
  const reply = await deps.messenger.request(peer, CHANNEL_DIGEST, { v: WIRE_VERSION, digest: deps.store.digest.body() }, opts) as { partitions?: unknown }
  const differing = Array.isArray(reply?.partitions) ? reply.partitions.filter((p): p is number => Number.isInteger(p) && p >= 0 && p < deps.partitions) : []
  const result: SyncResult = { partitions: differing.length, pulled: 0, pushed: 0 }
  for (const p of differing) {
    let after: string | undefined
    let pages = 0
    do {
      const page = await deps.messenger.request(peer, CHANNEL_PULL, { v: WIRE_VERSION, partition: p, after } satisfies PullBody, opts) as PullReply
      const { records, dropped } = checkRecords(page?.records, deps.partitions)
      if (dropped > 0) deps.logger.warn('dropped malformed records from a sync page', { from: peer, dropped })
      result.pulled += (await deps.store.merge(records, deps.retentionMs)).length
      // Pages move forward in id order; a cursor that does not, or too many pages, ends this partition's pull.
      const next = typeof page?.next === 'string' ? page.next : undefined
      after = next !== undefined && (after === undefined || next > after) && ++pages < SYNC_PAGES_MAX ? next : undefined
    } while (after !== undefined)
    for (let mine = deps.store.page(p, undefined, deps.pageRecords); mine.length > 0; mine = deps.store.page(p, mine.at(-1)?.id, deps.pageRecords)) {
      await deps.messenger.request(peer, CHANNEL_PUT, { v: WIRE_VERSION, records: mine } satisfies PutBody, opts)
      result.pushed += mine.length
    }
  }
  return result
}

/** Registers the answering side: digest, pull, and put (shared with replication). */
export function serveSync(deps: SyncDeps, onPut: (records: TaskRecord[], from: string) => Promise<void>): () => void {
  const { messenger } = deps
  messenger.handle(CHANNEL_DIGEST, (_from, body) => {
    const digest = (body as { digest?: unknown })?.digest
    if (!isDigestBody(digest, deps.partitions)) return { partitions: allPartitions(deps.partitions) }
    return { partitions: diffDigests(deps.store.digest.body(), digest as DigestBody) }
  })
  messenger.handle(CHANNEL_PULL, (_from, body) => {
    const { partition, after } = (body ?? {}) as Partial<PullBody>
    if (!Number.isInteger(partition) || (partition as number) < 0 || (partition as number) >= deps.partitions) return { records: [] }
    // No id is longer, and lmdb throws on a key past its size limit.
    if (typeof after === 'string' && after.length > TASK_ID_LENGTH_MAX) return { records: [] }
    const records = deps.store.page(partition as number, typeof after === 'string' ? after : undefined, deps.pageRecords)
    const reply: PullReply = { records }
    if (records.length >= deps.pageRecords) reply.next = records.at(-1)?.id
    return reply
  })
  messenger.handle(CHANNEL_PUT, async (from, body) => {
    const { records, dropped } = checkRecords((body as Partial<PutBody>)?.records, deps.partitions)
    if (dropped > 0) deps.logger.warn('dropped malformed records from a put', { from, dropped })
    await onPut(records, from)
    return { stored: records.length }
  })
  return () => {
    for (const c of [CHANNEL_DIGEST, CHANNEL_PULL, CHANNEL_PUT]) messenger.unhandle(c)
  }
}

function allPartitions(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}
