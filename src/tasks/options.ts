// The service's Init (every field optional, defaults from constants.ts) and
// the check of the relations between limits, done once at construction.
import { ConfigError } from '../errors.js'
import * as C from './constants.js'
import { COMMIT_MODES, type CommitMode } from './constants.js'

export interface TaskServiceInit {
  /** Other peers that must ack a new task before `enqueue` resolves (capped by live peers). Default 1. */
  replicas?: number
  /** Default deadline of `enqueue` waiting for acks. Default 10 000. */
  enqueueTimeoutMs?: number
  /** Tasks run at once on this peer. Default 1. */
  concurrency?: number
  /** Attempt deadline for definitions without timeoutMs. Default 60 000. */
  taskTimeoutMs?: number
  /** How long finished records are kept. Default 24 h. */
  retentionMs?: number
  collectIntervalMs?: number
  /** How late a peer may still run an "all" task. Default 1 h. */
  allExpiryMs?: number
  gossipCoalesceMs?: number
  /** How long a record that already went out by direct push, or an "all" task's attempt, may wait to share a gossip message. Default 250. */
  gossipLazyMs?: number
  /** How long an "all" task's attempts (to its settler) and settled record (from it) may wait to share a push. Default 250. */
  allReportMs?: number
  /** How long a new "any" task's record waits before it is gossiped (dropped if the holder's record of its end comes first). Default 1 000. */
  gossipDeferMs?: number
  gossipBytesMax?: number
  gossipMessagesPerSecond?: number
  gossipQueueMax?: number
  syncIntervalMs?: number
  syncPageRecords?: number
  /** How old a write must be before sync compares it (records in flight are gossip's to deliver). Default 2 000. */
  syncSettleMs?: number
  /** A newly acquired partition waits at most this long for the sync round that brings its latest records. Default 1 000. */
  handoverSyncMs?: number
  /** Default deadline of a graceful stop. Default 10 000. */
  stopDeadlineMs?: number
  /**
   * How the task store commits: 'auto' (default: commits of at most SMALL_COMMIT_WRITES writes on lmdb's thread,
   * larger ones on the event loop), 'inline' (every commit on the event loop, which waits for each commit's sync to
   * disk: the least CPU per write) or 'background' (every commit on lmdb's thread: the event loop never waits for the
   * disk, for ~18% more CPU per task draining a queued backlog). 'background' suits disks whose fdatasync takes
   * milliseconds (network block storage). See docs/limits.md.
   */
  storeCommit?: CommitMode
  /**
   * For this long after start (ms), every attempt writes its start and waits for its commit before the handler runs,
   * instead of writing it only after START_RECORD_DELAY_MS ("any") or letting its commit wait up to that long ("all"):
   * a handler that kills its peer at once then leaves an unended attempt that `retry.lostMax` counts. The peer sets
   * CRASH_WATCH_MS after a run that ended without a graceful stop. Default 0.
   */
  startsAtOnceMs?: number
}

export type TaskLimits = Required<TaskServiceInit>

export function resolveInit(init: TaskServiceInit = {}): TaskLimits {
  const limits: TaskLimits = {
    replicas: init.replicas ?? C.REPLICAS,
    enqueueTimeoutMs: init.enqueueTimeoutMs ?? C.ENQUEUE_TIMEOUT_MS,
    concurrency: init.concurrency ?? C.CONCURRENCY,
    taskTimeoutMs: init.taskTimeoutMs ?? C.TASK_TIMEOUT_MS,
    retentionMs: init.retentionMs ?? C.RETENTION_MS,
    collectIntervalMs: init.collectIntervalMs ?? C.COLLECT_INTERVAL_MS,
    allExpiryMs: init.allExpiryMs ?? C.ALL_EXPIRY_MS,
    gossipCoalesceMs: init.gossipCoalesceMs ?? C.GOSSIP_COALESCE_MS,
    gossipLazyMs: init.gossipLazyMs ?? C.GOSSIP_LAZY_MS,
    gossipDeferMs: init.gossipDeferMs ?? C.GOSSIP_DEFER_MS,
    allReportMs: init.allReportMs ?? C.ALL_REPORT_MS,
    gossipBytesMax: init.gossipBytesMax ?? C.GOSSIP_BYTES_MAX,
    gossipMessagesPerSecond: init.gossipMessagesPerSecond ?? C.GOSSIP_MESSAGES_PER_SECOND,
    gossipQueueMax: init.gossipQueueMax ?? C.GOSSIP_QUEUE_MAX,
    syncIntervalMs: init.syncIntervalMs ?? C.SYNC_INTERVAL_MS,
    syncPageRecords: init.syncPageRecords ?? C.SYNC_PAGE_RECORDS,
    syncSettleMs: init.syncSettleMs ?? C.SYNC_SETTLE_MS,
    handoverSyncMs: init.handoverSyncMs ?? C.HANDOVER_SYNC_MS,
    stopDeadlineMs: init.stopDeadlineMs ?? C.STOP_DEADLINE_MS,
    storeCommit: init.storeCommit ?? 'auto',
    startsAtOnceMs: init.startsAtOnceMs ?? 0,
  }
  if (!COMMIT_MODES.includes(limits.storeCommit)) throw new ConfigError(`tasks: storeCommit must be one of ${COMMIT_MODES.map(m => `'${m}'`).join(', ')}, got ${JSON.stringify(limits.storeCommit)}`)
  for (const [k, value] of Object.entries(limits)) {
    if (k === 'storeCommit') continue
    // Every other limit is a number: one given as anything else (a string from a config file) is refused here.
    const v = value as number
    const zeroOk = k === 'replicas' || k === 'startsAtOnceMs' || k === 'gossipCoalesceMs' || k === 'gossipLazyMs' || k === 'gossipDeferMs' || k === 'allReportMs' || k === 'syncSettleMs'
    if (!(Number.isFinite(v) && (zeroOk ? v >= 0 : v > 0))) throw new ConfigError(`tasks: ${k} must be a ${zeroOk ? 'non-negative' : 'positive'} number, got ${v}`)
  }
  if (!Number.isInteger(limits.concurrency)) throw new ConfigError(`tasks: concurrency must be an integer, got ${limits.concurrency}`)
  if (limits.gossipBytesMax > 1024 * 1024) throw new ConfigError(`tasks: gossipBytesMax ${limits.gossipBytesMax} exceeds gossipsub's 1 MiB message limit`)
  // A record collected before every peer has had a chance to sync it could come back from a peer that was away.
  if (limits.retentionMs < 2 * limits.syncIntervalMs) throw new ConfigError(`tasks: retentionMs (${limits.retentionMs}) must be at least 2 x syncIntervalMs (${limits.syncIntervalMs})`)
  return limits
}
