// A task record's lifetime, as the store keeps it: while it may still run
// somewhere it is "active" (in memory, picked by runners), and once finished
// and older than the retention it is collected (dropped here, and refused
// when it arrives again).
import type { Lifetime } from './compact.js'
import { isFinished, type TaskRecord } from './record.js'

/** May this record still run somewhere? "all" records stay active until they expire, for late peers. */
export function isActive(r: TaskRecord, wallNow: number): boolean {
  if (r.deleted) return false
  if (r.scope === 'any') return !isFinished(r)
  return r.state !== 'cancelled' && (r.expiresAt ?? Number.POSITIVE_INFINITY) > wallNow
}

/** Finished and older than the retention: dropped locally, and refused when it arrives again. */
export function isCollectable(r: Lifetime, wallNow: number, retentionMs: number): boolean {
  if (r.scope === 'all' && !r.deleted && r.state !== 'cancelled') return (r.expiresAt ?? Number.POSITIVE_INFINITY) + retentionMs <= wallNow
  return isFinished(r) && r.updatedAt + retentionMs <= wallNow
}
