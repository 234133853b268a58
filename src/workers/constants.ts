// Limits of the CPU worker pool (docs/limits.md).

import { availableParallelism } from 'node:os'

/** Default pool size: every core but the one the peer's event loop runs on, at least one. */
export const defaultCpuWorkers = (): number => Math.max(1, availableParallelism() - 1)

/** Largest pool: each worker loads the app and costs tens of MB. */
export const CPU_WORKERS_MAX = 64

/**
 * After a CPU task's signal fires (timeout, cancel, partition lost, stop), its
 * handler gets this long to return; then its worker thread is terminated and
 * replaced, so a handler stuck in a loop cannot keep a core.
 */
export const CPU_ABORT_GRACE_MS = 1_000

/** How long a new worker may take to load the app before the pool gives up on it. */
export const CPU_WORKER_START_MS = 30_000
