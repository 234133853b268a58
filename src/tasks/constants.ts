// The task plane's names and limits, each with the reason for its value.
// TaskServiceInit fields default to these; relations are checked once, in
// resolveInit (options.ts). docs/tasks.md lists them all.

/** Gossipsub topic that carries batches of task records. Bump the suffix on an incompatible change. */
export const TASKS_TOPIC = 'troupe/tasks/1'

/** Messenger channels (request/response). */
export const CHANNEL_PUT = 'tasks/put'
export const CHANNEL_DIGEST = 'tasks/digest'
export const CHANNEL_PULL = 'tasks/pull'
/** One-way: a new "all" task, sent straight to every live member (src/tasks/push.ts). */
export const CHANNEL_PUSH = 'tasks/push'

/** Version of the gossip, push and sync bodies; a peer drops bodies of another version. 2: records in the compact encoding (compact.ts). */
export const WIRE_VERSION = 2

/** Task names share the action alphabet: they appear in ids, logs and URLs. */
export const TASK_NAME_PATTERN = /^[a-zA-Z0-9_.:-]+$/
export const TASK_NAME_LENGTH_MAX = 128

/**
 * Task ids from other peers. Ours have at most 40 characters (`k-` + 32 hex, `t-<ms>-<16>`); the bound keeps
 * an id, as an lmdb key, far below lmdb's 1 978-byte key limit, past which a read or write of the store throws.
 */
export const TASK_ID_LENGTH_MAX = 128

/** Idempotency keys are hashed into ids; the bound keeps records and logs small. */
export const IDEMPOTENCY_KEY_LENGTH_MAX = 256

/** Other peers that must hold a task durably before `enqueue` resolves (capped by live peers). One survives any single crash. */
export const REPLICAS = 1

/** Tasks in one `enqueueMany` batch (and one `POST /tasks` array): like BullMQ's addBulk chunks; one batch is one local commit and one put per replica. */
export const ENQUEUE_MANY_ITEMS_MAX = 1_000

/** Encoded inputs of one batch: its replica put stays far below the 4 MiB frame (frameBytesMax) whatever the inputs' sizes. */
export const ENQUEUE_MANY_BYTES_MAX = 1024 * 1024

/** How long `enqueue` may wait for replica acks before it rejects (the task stays stored locally and still spreads). */
export const ENQUEUE_TIMEOUT_MS = 10_000

/** Tasks one peer runs at once. One, like an ActionHero worker: raise it for I/O-bound handlers. */
export const CONCURRENCY = 1

/** Default deadline of one attempt when a definition gives none. */
export const TASK_TIMEOUT_MS = 60_000

/** Finished (done, failed, cancelled, deleted) records are kept this long for inspection and dedup, then collected. */
export const RETENTION_MS = 24 * 60 * 60 * 1000

/** How often finished records are collected. */
export const COLLECT_INTERVAL_MS = 60_000

/** Records a collection reads per page; the event loop gets a turn between pages (a page takes ~2-3 ms). */
/**
 * Stored records one `list` reads at most (from disk, and the finished ids it looks up): a query that few records
 * match (a rare name among done tasks, tombstones) stops there, flagged `truncated`, instead of holding the event
 * loop for a read of the whole store (~2 ms per 1,000 records; leases renew on that loop).
 */
export const LIST_SCAN_RECORDS = 20_000

export const COLLECT_PAGE_RECORDS = 1_000

/** An "all" task runs on a peer that receives it up to this long after its runAt; later it is skipped. */
export const ALL_EXPIRY_MS = 60 * 60 * 1000

/** Gossip coalescing: records changed within this window go out in one message. */
export const GOSSIP_COALESCE_MS = 5

/**
 * Lazy gossip: a record that already went to every member by direct push (a control change; a new "all" task or an
 * "all" task's report whose push could not be sent) waits up to this long, riding along with any message sent
 * meanwhile. Each gossip message costs every other peer a signature check; at 5 peers the attempts of "all" tasks,
 * then gossiped, were 2 messages per task per peer and gossipsub's receive path (mostly ed25519 verification) a
 * quarter of each peer's busy time. Sync still repairs anything lost.
 */
export const GOSSIP_LAZY_MS = 250

/**
 * Deferred gossip: a new "any" task, which the put that makes it durable took to a replica (its holder when known),
 * is gossiped only after this long, and not at all if meanwhile the holder's gossip of the finished task covers it.
 * In a 20,000-task drain on 3 peers most tasks finished within it under load (250 ms caught about a third); other
 * peers see a new task at most this much later.
 */
export const GOSSIP_DEFER_MS = 1_000
/**
 * Reports of "all" tasks (src/tasks/report.ts): a peer's attempts of an "all" task go to its settler, and the settled
 * record from there to every member, each by direct push, waiting up to this long so that the records of many tasks
 * to one peer share a push. The settled record shows on the other peers up to twice this much after the last attempt.
 */
export const ALL_REPORT_MS = 250

/** Bytes of records per gossip message; well under gossipsub's 1 MiB default max message size. */
export const GOSSIP_BYTES_MAX = 64 * 1024

/** Gossip messages per second per peer: the anchors show gossipsub loses nothing at ~226 msg/s and drops 21% unpaced. */
export const GOSSIP_MESSAGES_PER_SECOND = 100

/** Records waiting to be gossiped; beyond this the oldest are dropped and sync repairs. */
export const GOSSIP_QUEUE_MAX = 20_000

/** Anti-entropy: one digest exchange with one random peer this often (and with every peer at start). */
export const SYNC_INTERVAL_MS = 15_000

/**
 * A newly acquired partition runs nothing until a sync round with the other
 * peers has brought its latest records (a task the old holder just finished
 * would otherwise run again), or until this long has passed.
 */
export const HANDOVER_SYNC_MS = 1_000

/**
 * A write enters the sync digests this long after it was made: records in flight (gossip is delivering them) do not
 * make peers' digests differ, so while tasks stream through, a sync compares what has settled instead of pulling
 * and pushing what gossip brings anyway (in a 20,000-task drain on 3 peers, periodic syncs cost a fifth of the
 * CPU per task before). A handover still compares its partitions as they are now.
 */
export const SYNC_SETTLE_MS = 2_000
/** Messenger channel of a sync's second step: the ids and fingerprints of the buckets of a partition that differ. */
export const CHANNEL_SUMMARY = 'tasks/summary'
/**
 * Buckets per partition: a partition's digest is kept per bucket too (by a
 * hash of the id), so a sync looks at the ids of the buckets that differ, not
 * at every id of the partition. A bucket's ids travel in one reply: with ids of
 * at most 40 characters (ours) a bucket fits the 4 MiB frame up to ~90,000
 * records, so a partition up to ~5.7 million.
 */
export const SYNC_BUCKETS = 64
/** Ids (with their fingerprints) per summary reply; whole buckets are sent until this many, and at least one. */
export const SYNC_SUMMARY_IDS = 5_000
/** Records per sync pull and push request (and ids asked for per pull). */
export const SYNC_PAGE_RECORDS = 500
/** Encoded bytes of records per sync pull reply and push request (at least one record goes): large inputs split a page. */
export const SYNC_REQUEST_BYTES = 1024 * 1024
/** Requests one sync makes for one partition (summary pages and pulls): a peer that keeps answering with more cannot hold the loop forever. */
export const SYNC_PAGES_MAX = 10_000

/**
 * Most attempts a retry policy may ask for. A record keeps every attempt with its error, and a record must fit one
 * sync page and one frame to reach the other peers: 100 attempts of the largest stored error stay near 250 KiB.
 */
export const RETRY_ATTEMPTS_MAX = 100

/** Longest error message an attempt stores (characters); a longer one is cut, saying how long it was. */
export const TASK_ERROR_MESSAGE_CHARS_MAX = 1_024

/** Largest error `details` an attempt stores (msgpack bytes); larger ones, or ones msgpack cannot encode, are replaced by a note. */
export const TASK_ERROR_DETAILS_BYTES_MAX = 1_024

/**
 * Default `retry.lostMax`: attempts of one round whose runner went away mid-run (died, or was cut off, and another
 * peer, or the restarted peer itself, found the attempt unended) before the task is failed rather than run again. A
 * handler that kills its process would otherwise take down every peer in turn, for ever.
 */
export const LOST_MAX_DEFAULT = 3

/**
 * After a run of the peer that ended without a graceful stop (a crash, SIGKILL, power loss), for this long every "any"
 * attempt's start is written and committed before its handler runs: if a task's handler killed the peer within
 * START_RECORD_DELAY_MS, its next run here leaves a trace, and `retry.lostMax` can stop it going round for ever.
 */
export const CRASH_WATCH_MS = 10 * 60 * 1000

/** Code of an attempt found unended by the next peer to start its task (its runner went away mid-run). */
export const RUNNER_GONE_CODE = 'ERR_RUNNER_GONE'

/** Code of a task failed because `retry.lostMax` of its attempts lost their runner. */
export const TASK_LOST_TOO_OFTEN_CODE = 'ERR_TASK_LOST_TOO_OFTEN'

/** Retry backoff factor when a definition gives none. */
export const BACKOFF_FACTOR = 2

/** Ceiling of one retry delay, so a long chain of retries still comes back within the hour. */
export const BACKOFF_MAX_MS = 60 * 60 * 1000

/** Stop waits this long for running tasks before it aborts them, unless told otherwise. */
export const STOP_DEADLINE_MS = 10_000

/**
 * An "any" attempt's start is written (and spread) only once its handler has
 * run this long; a shorter run writes start and end together, once. A crash
 * before then leaves no trace of the attempt (see docs/tasks.md, "Running").
 */
export const START_RECORD_DELAY_MS = 100

/**
 * How the task store commits (commit.ts): 'auto' (the default) makes a commit of at most SMALL_COMMIT_WRITES writes
 * on lmdb's thread and a larger one on the event loop; 'inline' makes every commit on the event loop, 'background'
 * every commit on lmdb's thread.
 */
export const COMMIT_MODES = ['auto', 'inline', 'background'] as const

/**
 * 'auto': a commit of at most this many writes goes to lmdb's thread. The few writes of a light load (a task's put,
 * its start, its end) then never hold the event loop for their sync to disk, which on an idle cluster put ~1 ms on
 * the enqueue -> start p99 (session 20, docs/performance.md); a drain's commits, hundreds of writes each, stay inline,
 * where they cost the least CPU per write.
 */
export const SMALL_COMMIT_WRITES = 8

export type CommitMode = typeof COMMIT_MODES[number]

/**
 * Longest sleep between looks at the due tasks. runAt is wall time and timers
 * are monotonic: looking at least this often bounds the lateness a wall-clock
 * step can cause (and keeps timers far from setTimeout's 24.8-day limit).
 */
export const WAKE_MAX_MS = 60_000

/** After an attempt that could not start or be recorded, the next look waits this long. */
export const RETRY_PICK_MS = 100

/**
 * An attempt whose outcome could not be written has its task picked again only after this long, doubling with each
 * such failure in a row up to RECORD_RETRY_MAX_MS: its handler ran, and rerunning it every RETRY_PICK_MS would
 * repeat its effects ten times a second for as long as the write fails.
 */
export const RECORD_RETRY_MAX_MS = 60_000

/** While the task store refuses writes (the disk below its reserve), no attempt starts; the runner looks again this often. */
export const STORE_REFUSED_RECHECK_MS = 1_000
