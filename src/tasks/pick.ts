// Which tasks this peer may start now, in what order, and when to look again:
// pure decisions over the active records, so they are tested without I/O.
import type { RetryPolicy } from './define.js'
import { attemptsOf, type TaskRecord } from './record.js'
import { peerStatus } from './transitions.js'

export interface PickContext {
  self: string
  /** Wall ms. */
  now: number
  /** Does this peer hold the partition now (and long enough to start)? */
  holds(partition: number): boolean
  /** Tasks already running on this peer. */
  running: { has(id: string): boolean }
  /** The retry policy of a known definition; undefined when this peer does not know the task. */
  retryOf(name: string): Required<RetryPolicy> | undefined
}

/** When the record becomes runnable by this peer, ignoring time; undefined if it never will (as things stand). */
export function readyAt(r: TaskRecord, ctx: PickContext): number | undefined {
  if (r.deleted || ctx.running.has(r.id)) return undefined
  const retry = ctx.retryOf(r.name)
  if (retry === undefined) return undefined
  if (r.scope === 'any') {
    if (r.state !== 'pending' && r.state !== 'running') return undefined
    return ctx.holds(r.partition) ? r.runAt : undefined
  }
  if (r.state === 'cancelled' || peerStatus(r, ctx.self, retry) !== 'open') return undefined
  const last = attemptsOf(r, ctx.self).at(-1)
  return Math.max(r.runAt, last?.retryAt ?? 0)
}

/** Due first by priority (higher first), then by due time, creation and id. */
export function compareDue(a: TaskRecord, b: TaskRecord): number {
  return (b.priority - a.priority) || (a.runAt - b.runAt) || (a.createdAt - b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export interface Pick {
  /** Runnable now, best first, at most `slots`. */
  start: TaskRecord[]
  /** The earliest future time something becomes runnable (wall ms), to set a timer. */
  wakeAt: number | undefined
}

/** Chooses up to `slots` tasks to start now. The expiry of "all" records is the store's business (lifetime.ts isActive). */
export function pickRunnable(records: Iterable<TaskRecord>, ctx: PickContext, slots: number): Pick {
  const due: TaskRecord[] = []
  let wakeAt: number | undefined
  for (const r of records) {
    if (r.scope === 'all' && (r.expiresAt ?? Number.POSITIVE_INFINITY) <= ctx.now) continue
    const at = readyAt(r, ctx)
    if (at === undefined) continue
    if (at <= ctx.now) due.push(r)
    else wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at)
  }
  if (slots <= 0) return { start: [], wakeAt }
  return { start: due.sort(compareDue).slice(0, slots), wakeAt }
}
