// Protocol identity and default limits of the lease protocol. Every limit
// carries its unit in its name; relations between them are checked once, at
// load, in params.ts. See docs/lease-protocol.md for the reasoning.

/** Wire version carried in every message as `v`. Bump on any incompatible change. */
export const LEASE_WIRE_VERSION = 1

/** Channel for per-partition lease traffic (Prepare/Promise/Propose/Accepted/Release). */
export const LEASE_CHANNEL = 'lease/1'
/** Channel for voter-set traffic (config Paxos, config notices, floor recovery). */
export const LEASE_CONFIG_CHANNEL = 'lease-cfg/1'

/** Hashed key space size. 256 spreads well over tens of workers and keeps a full batch under ~4 KB. Fixed at cluster creation. */
export const DEFAULT_PARTITIONS = 256
/** Upper bound on P: partition ids travel as small integers and per-partition state is an array. */
export const PARTITIONS_MAX = 65_536

/** M, the acceptor-side lease term. Short enough that a dead holder is replaced in seconds, long enough to ride out GC pauses of a second. */
export const DEFAULT_LEASE_MS = 6_000
/** rho, the bound on clock RATE drift (|d local/d real - 1|). Quartz oscillators are within 1e-4; 1e-3 leaves a 10x margin. */
export const DEFAULT_DRIFT_RHO = 1e-3
/** Largest rho we accept: above this the margins eat most of the lease. */
export const DRIFT_RHO_MAX = 0.1
/** epsilon, slack for timer lateness and the gap between reading the clock and the message leaving. */
export const DEFAULT_SLACK_MS = 50
/** Renew three times per lease: two renewals may be lost before the holder lets go. */
export const DEFAULT_RENEW_INTERVAL_MS = 2_000
/** A round (Prepare or Propose) with no majority answer after this long is abandoned and retried. */
export const DEFAULT_ROUND_TIMEOUT_MS = 1_000
/** Random extra wait after a failed round so rivals do not collide again in lock-step. */
export const DEFAULT_BACKOFF_JITTER_MS = 200
/** A partition that answered "busy" is probed again after min(remaining, this) + jitter, so a release is noticed quickly. */
export const DEFAULT_BUSY_RETRY_MAX_MS = 2_000
/** The node asks to be woken at least this often, even with nothing due (cheap upper bound on timer drift). */
export const DEFAULT_TICK_MAX_MS = 500
/** HRW ranks 1..fallbackRanks may try a partition that has looked ownerless for rank * fallbackDelayMs. */
export const DEFAULT_FALLBACK_RANKS = 1
/** Half a lease: a desired owner with a live majority would have acquired within this. */
export const DEFAULT_FALLBACK_DELAY_MS = 3_000
/** A holder hands a partition to its new desired owner only after that owner has looked alive this long (no flapping). */
export const DEFAULT_HANDOFF_STABLE_MS = 5_000
/** Five voters tolerate two failures; more voters only slow every round. */
export const DEFAULT_VOTERS_MAX = 5
/** A voter unreachable this long is replaced by the side that still has a majority. Long: each change drains every lease once. */
export const DEFAULT_VOTER_DEAD_REPLACE_MS = 120_000
/** The membership view must be unchanged this long before a voter-set change is proposed. */
export const DEFAULT_CONFIG_STABLE_MS = 5_000
/**
 * A leaving voter whose vote the others need (no majority up and staying without it) is taken out once who is
 * leaving has been unchanged this long (or configStableMs, if shorter): long enough that the leaves of peers
 * stopped together are all seen (a stop of the cluster: nobody is taken out), short enough that the leaver is out
 * well within its LEAVE_GRACE_MS.
 */
export const DEFAULT_LEAVE_SETTLE_MS = 1_000
/** A stopping voter waits at most this long for the others to take it out of the set (it still answers meanwhile). */
export const LEAVE_GRACE_MS = 3_000
/** A config round with no majority after this long is retried (with jitter). */
export const DEFAULT_CONFIG_RETRY_MS = 2_000
/** Ballot numbers are persisted by reservation: crossing the stored floor writes n + this, so one write covers this many ballots. */
export const DEFAULT_FLOOR_RESERVE = 1_000
/** Ballot numbers stay exact in a JS number and fit 14 hex digits in the fence string. */
export const BALLOT_N_MAX = Number.MAX_SAFE_INTEGER
/** Limits on what we accept from the wire, so a bad peer cannot make us allocate without bound. */
export const PEER_ID_CHARS_MAX = 256
export const VOTERS_WIRE_MAX = 64
