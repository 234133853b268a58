// Timings and bounds of test clusters. A production peer waits seconds before
// it trusts a change (suspects a member, moves a lease); a test cluster on one
// machine can afford to notice in a few hundred milliseconds, so it forms in
// about two seconds and a stopped peer's partitions move within a few more.

import type { LeaseParams } from '../lease/index.js'
import type { MembershipInit } from '../membership/options.js'

/** Fewer partitions than the 256 of production: placement settles faster, and 16 still spread over every peer. */
export const TEST_PARTITIONS = 16

/** Heartbeats and gossip every 100 ms; a silent member is suspected after 600 ms and dead after 1.5 s. */
export const TEST_MEMBERSHIP: MembershipInit = {
  heartbeatIntervalMs: 100,
  gossipIntervalMs: 100,
  tickIntervalMs: 50,
  suspectAfterMs: 600,
  deadAfterMs: 1_500,
  forgetAfterMs: 60_000,
}

/** A 1.5 s lease renewed every 500 ms; hand-offs and voter changes wait half a second of stability, not seconds. */
export const TEST_LEASE: Partial<LeaseParams> = {
  partitions: TEST_PARTITIONS,
  leaseMs: 1_500,
  renewIntervalMs: 500,
  roundTimeoutMs: 250,
  tickMaxMs: 100,
  fallbackDelayMs: 800,
  handoffStableMs: 500,
  configStableMs: 500,
  configRetryMs: 300,
  voterDeadReplaceMs: 3_000,
}

/** How long `ready()` waits for the cluster to form and placement to settle before it rejects. */
export const READY_TIMEOUT_MS = 30_000
/** Placement counts as settled once no partition changed holder for this long. */
export const SETTLE_QUIET_MS = 1_500
/** How long `runTask()` waits for a task to finish before it rejects with a TimeoutError. */
export const TASK_TIMEOUT_MS = 15_000
/** How often the helpers look at the peers while they wait. */
export const POLL_INTERVAL_MS = 25
/** A test peer's graceful stop waits this long for running work (production: 10 s), so a close never hangs a suite. */
export const TEST_STOP_TIMEOUT_MS = 2_000
