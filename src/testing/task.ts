// Awaiting a task's end, seen from one peer: every peer keeps a copy of every
// task record, so the peer that enqueued it sees it finish wherever it ran.

import { TimeoutError } from '../errors.js'
import type { Peer } from '../peer/peer.js'
import { isFinished, type TaskRecord } from '../tasks/record.js'
import { TASK_TIMEOUT_MS } from './constants.js'
import { TaskFailedError } from './errors.js'
import { poll } from './poll.js'

export interface AwaitOptions {
  signal?: AbortSignal
  /** Give up after this long; default TASK_TIMEOUT_MS (15 s). */
  timeoutMs?: number
}

/** Resolves with the final record of a task that ended `done`; rejects with TaskFailedError, TimeoutError or AbortedError. */
export async function awaitTask(peer: Peer, id: string, options: AwaitOptions = {}): Promise<TaskRecord> {
  const timeoutMs = options.timeoutMs ?? TASK_TIMEOUT_MS
  let last: TaskRecord | undefined
  let record: TaskRecord
  try {
    record = await poll(() => {
      last = peer.tasks.get(id)
      return last !== undefined && isFinished(last) ? last : undefined
    }, { what: `task ${id} to finish`, timeoutMs, signal: options.signal })
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err
    const where = last === undefined ? 'unknown to the peer' : `still ${last.state} after ${last.attempts.length} attempt(s)`
    const label = last === undefined ? id : `${last.name} (${id})`
    throw new TimeoutError(`task ${label} ${where} ${timeoutMs} ms after it was awaited`, { cause: err })
  }
  if (record.state !== 'done' || record.deleted) throw new TaskFailedError(record)
  return record
}
