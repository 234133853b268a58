// The actor plane's channel names and limits, each with the reason for its
// value. ActorSystemInit fields default to these; relations between them are
// checked once, in options.ts. docs/actors.md lists them all.

/** Messenger channels (request/response). */
export const CHANNEL_DELIVER = 'actors.deliver'
export const CHANNEL_STATE_PUT = 'actors.state.put'
export const CHANNEL_STATE_GET = 'actors.state.get'
export const CHANNEL_STATE_LIST = 'actors.state.list'

/** Version of every actor body on the wire; a peer refuses bodies of another version. */
export const WIRE_VERSION = 1

/** Sub-database of the embedded store that holds saved actor state (own and replicated copies alike). */
export const STATE_DB = 'actors'

/** Type names appear in addresses, logs and metric labels: one short word, no escaping. */
export const ACTOR_TYPE_PATTERN = /^[a-zA-Z0-9_.-]+$/
export const ACTOR_TYPE_LENGTH_MAX = 128

/** Keys are free text (user ids, order ids) but bounded and free of control characters, so logs stay one line. */
export const ACTOR_KEY_LENGTH_MAX = 256
// eslint-disable-next-line no-control-regex
export const ACTOR_KEY_FORBIDDEN = /[\u0000-\u001f\u007f]/

/** Handler names share the action alphabet. */
export const HANDLER_NAME_PATTERN = /^[a-zA-Z0-9_.:-]+$/
export const HANDLER_NAME_LENGTH_MAX = 128

/** Fencing tokens come from the lease layer; the bound only stops a peer sending junk. */
export const FENCE_LENGTH_MAX = 256

/** An actor with no message for this long is deactivated (state saved, memory freed). */
export const IDLE_MS = 60_000

/** Messages waiting per activation; past it senders get MailboxFullError instead of growing memory. */
export const MAILBOX_MAX = 1_000

/** Largest mailbox a definition may ask for: a mailbox is memory on one peer. */
export const MAILBOX_MAX_LIMIT = 1_000_000

/** Default deadline of ask (and of routing a tell): a busy actor on a LAN answers in milliseconds. */
export const ASK_TIMEOUT_MS = 10_000

/** Largest encoded message: 1 MiB, a quarter of the 4 MiB wire frame, so a message never starves a link. */
export const MESSAGE_BYTES_MAX = 1024 * 1024

/** Largest encoded actor state: it is replicated in one frame per save, so it must fit a frame with room to spare. */
export const STATE_BYTES_MAX = 1024 * 1024

/** Room in a frame for everything but the message or state bytes (address, handler, fence, numbers). */
export const ENVELOPE_BYTES_OVERHEAD = 1024

/**
 * Ids of messages that changed an actor's state are kept in its saved record
 * with their results, so a message re-sent after a move or a lost reply is
 * answered from the record instead of applied twice (see applied.ts). Every
 * unanswered one is kept (its sender may re-send after a move), plus this
 * many answered ones, for re-sends after a lost reply. Each save writes the
 * whole list, so it stays short: a long list costs hot actors throughput.
 */
export const APPLIED_IDS_MAX = 16

/** The most applied ids a record holds (or a record from the wire may carry): bounds its size. */
export const APPLIED_IDS_LIMIT = 256

/** A result larger than this is not kept for re-sent asks (such an ask may then apply twice). */
export const APPLIED_RESULT_BYTES_MAX = 4 * 1024

/** Message ids: `<sender prefix>.<counter>`. */
export const MESSAGE_ID_LENGTH_MAX = 128

/** What one applied id adds to a saved record at most. */
export const APPLIED_ENTRY_BYTES_MAX = APPLIED_RESULT_BYTES_MAX + MESSAGE_ID_LENGTH_MAX + 16

/** Other peers that keep a copy of each saved state; two copies survive any single crash plus one more. */
export const STATE_REPLICAS = 2

/** How long a save waits for replica acks before the ask resolves anyway (the copy is then on fewer peers). */
export const REPLICATE_TIMEOUT_MS = 2_000

/** How long an activating actor waits for the replicas' copies of its state: short, it delays the first message. */
export const STATE_FETCH_TIMEOUT_MS = 500

/**
 * An activation whose read of the saved state found too few voters able to
 * answer (out of reach, or all still catching up after a voter-set change)
 * reads again after this pause, doubling up to STATE_READ_RETRY_MAX_MS, for
 * up to askTimeoutMs; its messages wait in the mailbox meanwhile.
 */
export const STATE_READ_RETRY_MS = 50
export const STATE_READ_RETRY_MAX_MS = 1_000

/** First pause before re-sending a message whose actor is moving; doubles up to retryBackoffMaxMs. */
export const RETRY_BACKOFF_MS = 5
export const RETRY_BACKOFF_MAX_MS = 250

/** Records per `actors.state.list` page: a voter catching up pulls every saved state in pages. */
export const CATCH_UP_PAGE_MAX = 256

/** A page stops growing past this many bytes of state (one record may take it to ~2 MiB; a wire frame holds 4 MiB). */
export const CATCH_UP_PAGE_BYTES = 1024 * 1024

/** Pause before a catch-up round retries the peers that did not answer. */
export const CATCH_UP_RETRY_MS = 1_000

/** How long one page request may take. */
export const CATCH_UP_REQUEST_TIMEOUT_MS = 5_000
