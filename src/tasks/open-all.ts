// The "all" tasks on this peer's side: which records it may still run, and
// marking a record done or failed when the news that completes it arrives.
// "All" records stay active on every peer until they expire (for late
// peers), so the runner looks only at the ones still open here instead of
// every "all" record of the last hour on every pick.
import type { WallClock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { TaskDefinition } from './define.js'
import type { TaskRecord } from './record.js'
import type { TaskStore } from './store.js'
import { peerStatus, settleAll } from './transitions.js'

export interface OpenAllDeps {
  store: TaskStore
  definitions: ReadonlyMap<string, TaskDefinition>
  clock: WallClock
  logger: Logger
  self: string
  members: () => readonly string[]
  /** Spreads records this peer changed. */
  spread: (records: TaskRecord[]) => void
}

export class OpenAll {
  /** Not those this peer has run to an end, nor cancelled, deleted, expired or unknown ones. */
  private readonly open = new Map<string, TaskRecord>()

  constructor(private readonly deps: OpenAllDeps) {}

  /** The records this peer may run now or at a retry time, as of `now` (expired ones leave). */
  records(now: number): IterableIterator<TaskRecord> {
    for (const [id, r] of this.open) if ((r.expiresAt ?? Number.POSITIVE_INFINITY) <= now) this.open.delete(id)
    return this.open.values()
  }

  /** Keeps the open set as `r` (the newest copy) stands. */
  track(r: TaskRecord): void {
    const retry = this.deps.definitions.get(r.name)?.retry
    const open = retry !== undefined && !r.deleted && r.state !== 'cancelled' && (r.expiresAt ?? Number.POSITIVE_INFINITY) > this.deps.clock.wallNow()
      && peerStatus(r, this.deps.self, retry) === 'open'
    if (open) this.open.set(r.id, r)
    else this.open.delete(r.id)
  }

  /** Marks `r` done or failed in the store (and spreads it) if the news that landed completes it. */
  settle(r: TaskRecord): void {
    const retry = this.deps.definitions.get(r.name)?.retry
    if (retry === undefined) return
    const at = { self: this.deps.self, now: this.deps.clock.wallNow() }
    if (settleAll(r, at, retry, this.deps.members()) === r) return
    this.deps.store.update(r.id, cur => {
      if (cur === undefined) return undefined
      const next = settleAll(cur, { self: this.deps.self, now: this.deps.clock.wallNow() }, retry, this.deps.members())
      return next === cur ? undefined : next
    }).then(
      (change) => { if (change?.after !== undefined) this.deps.spread([change.after]) },
      (err: unknown) => this.deps.logger.warn('could not settle an "all" task', { id: r.id, err: (err as Error).message }),
    )
  }
}
