// What the task store holds, kept up to date by every write instead of read
// by a scan: how many records are in each state, the ids of the records an
// operator looks for that are not in the store's active set (failed,
// cancelled, and "all" tasks past their expiry that never settled), and the
// ids written last. The dashboard reads these every second and `list` reads
// its pending, running, failed and cancelled records through them, so a
// store of a million finished records is never decoded whole for either.
// Tombstones (deleted records) are counted apart and never listed here.
import type { TaskRecord, TaskState } from './record.js'

/** Ids the census remembers as written last (the dashboard's recent runs come from them). */
export const RECENT_IDS_MAX = 64

export type StateCounts = Record<TaskState, number>

export class Census {
  readonly counts: StateCounts = { pending: 0, running: 0, done: 0, failed: 0, cancelled: 0 }
  deleted = 0
  /** Records neither active nor done nor deleted, by id: their state, in the order of their last write. */
  private readonly idle = new Map<string, TaskState>()
  private readonly recent: Array<string | undefined> = new Array<string | undefined>(RECENT_IDS_MAX).fill(undefined)
  private next = 0

  /** Records in every state, tombstones excluded. */
  get total(): number {
    const c = this.counts
    return c.pending + c.running + c.done + c.failed + c.cancelled
  }

  /** A write: `before` as it was stored (undefined: new), `after` as written (undefined: removed), and whether `after` is active. */
  note(before: TaskRecord | undefined, after: TaskRecord | undefined, active: boolean): void {
    if (before !== undefined) {
      if (before.deleted) this.deleted--
      else this.counts[before.state]--
    }
    if (after === undefined) {
      if (before !== undefined && this.idle.size > 0) this.idle.delete(before.id)
      return
    }
    if (after.deleted) this.deleted++
    else this.counts[after.state]++
    if (!active && !after.deleted && after.state !== 'done') {
      // Moved to the end: the map stays in the order of last writes.
      this.idle.delete(after.id)
      this.idle.set(after.id, after.state)
    } else if (this.idle.size > 0) {
      this.idle.delete(after.id)
    }
    this.recent[this.next] = after.id
    this.next = (this.next + 1) % RECENT_IDS_MAX
  }

  /** Forgets everything (the store is about to be read from disk again). */
  reset(): void {
    for (const s of Object.keys(this.counts) as TaskState[]) this.counts[s] = 0
    this.deleted = 0
    this.idle.clear()
    this.recent.fill(undefined)
    this.next = 0
  }

  /** Ids of inactive records in `state`, written last first. */
  idleIds(state: TaskState): string[] {
    const out: string[] = []
    for (const [id, s] of this.idle) if (s === state) out.push(id)
    return out.reverse()
  }

  /** The distinct ids written last, newest first. */
  recentIds(): string[] {
    const out: string[] = []
    const seen = new Set<string>()
    for (let i = 1; i <= RECENT_IDS_MAX; i++) {
      const id = this.recent[(this.next - i + RECENT_IDS_MAX) % RECENT_IDS_MAX]
      if (id === undefined || seen.has(id)) continue
      seen.add(id)
      out.push(id)
    }
    return out
  }
}
