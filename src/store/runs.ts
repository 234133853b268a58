// Whether the peer's last run on this data folder ended with a graceful stop:
// a marker in the meta sub-database, 'running' while a run lasts and
// 'stopped' once it stopped gracefully. A run that crashed (SIGKILL, power
// loss, an abort) leaves 'running' behind; the next start sees it.

import type { Store } from './store.js'

const RUN_KEY = 'run'

/** True when the last run on this store started and did not stop gracefully. */
export function lastRunCrashed(store: Store): boolean {
  // No marker: the first run, or one of a version before the marker (taken as stopped).
  return store.db<string>('meta').get(RUN_KEY) === 'running'
}

/** Marks a run as started (once the peer has started: a start that fails leaves the marker as it was). */
export async function markRunStarted(store: Store): Promise<void> {
  await store.db<string>('meta').put(RUN_KEY, 'running')
}

/** Marks the run as stopped gracefully (called last, before the store closes). */
export async function markRunStopped(store: Store): Promise<void> {
  await store.db<string>('meta').put(RUN_KEY, 'stopped')
}
