// After a run that did not stop gracefully (src/store/runs.ts): watch for a
// task that kills its peer at once, by writing each start before its handler.

import { CRASH_WATCH_MS } from '../tasks/constants.js'
import type { TaskServiceInit } from '../tasks/index.js'
import type { Logger } from '../util/logger.js'

/**
 * After a run that did not stop gracefully, "any" attempts write their start before their handler runs for
 * CRASH_WATCH_MS (unless the tasks' init says otherwise): if a task killed the peer, its next run leaves a trace.
 */
export function crashWatch(crashed: boolean, tasks: TaskServiceInit, logger: Logger): TaskServiceInit {
  if (!crashed || tasks.startsAtOnceMs !== undefined) return tasks
  logger.warn(`the last run on this data folder did not stop gracefully (a crash, a kill or a power loss): for ${CRASH_WATCH_MS / 60_000} min every task start is written before its handler runs, so that a task that kills its peer is counted by retry.lostMax`)
  return { ...tasks, startsAtOnceMs: CRASH_WATCH_MS }
}
