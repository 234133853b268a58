// Membership timing defaults and limits. The relations between them are
// checked once, when the options are resolved (see options.ts).

/** How often a member increases its own heartbeat counter. */
export const HEARTBEAT_INTERVAL_MS = 500

/** How often a member exchanges its view with a few others (push-pull). */
export const GOSSIP_INTERVAL_MS = 500

/** How many members each gossip round talks to. With full views, log(N) rounds reach everyone. */
export const GOSSIP_FANOUT = 3

/** No heartbeat progress for this long: the member is suspected (shown, not acted upon). */
export const SUSPECT_AFTER_MS = 3_000

/**
 * No heartbeat progress for this long: the member is declared dead. It must
 * exceed the longest event-loop stall we tolerate on the observed member
 * (2 s, see docs/architecture.md) plus a few gossip rounds of propagation.
 */
export const DEAD_AFTER_MS = 8_000

/**
 * A tick that arrives this much later than scheduled means this process itself
 * was stalled: the stall is not counted against other members.
 */
export const LOCAL_STALL_TOLERANCE_MS = 250

/** Dead and departed members are remembered this long, so stale gossip cannot bring them back. */
export const FORGET_AFTER_MS = 60 * 60 * 1000

/** Most members a view holds; records past it are refused (a cluster this size wants a different design). */
export const MEMBERS_MAX = 256

/** Longest string fields accepted from the wire. */
export const PEER_ID_CHARS_MAX = 128
export const ADDR_CHARS_MAX = 512
export const ADDRS_MAX = 16
export const HOSTED_NAMES_MAX = 1024
