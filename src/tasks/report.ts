// Reports of "all" tasks (see settler.ts): a peer sends the records of its
// attempts of an "all" task to the task's settler, and the settler sends the
// settled record to every member. Both go as direct pushes (one-way
// `tasks/push`, the receiving side merges them like any push), coalesced per
// destination for up to `windowMs`, so the attempts of many tasks share one
// message. A send that fails falls back to lazy gossip; sync repairs the rest.
// A report for a task not yet seen settled here is remembered with where it
// went, and sent to the new settler if that member dies or leaves first.
import type { TimerHandle, Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { recordBytes } from './codec.js'
import type { TaskRecord } from './record.js'
import { isSettledAll, settlerOf } from './settler.js'
import type { Change } from './store.js'

export interface ReportsDeps {
  self: string
  /** Live peer ids (a hint; may include self). */
  members: () => readonly string[]
  /** The newest copy of a record held here. */
  latest: (id: string) => TaskRecord | undefined
  /** One push of `records` to `to`; rejects if it could not be sent. */
  send: (to: string, records: TaskRecord[]) => Promise<void>
  /** Records whose push failed: gossip carries them instead (sync still repairs). */
  fallback: (records: TaskRecord[]) => void
  timers: Timers
  logger: Logger
  /** How long a record may wait for company before its push leaves (ms; 0: at the end of the turn). */
  windowMs: number
  /** Encoded records per push (one record always goes, whatever its size). */
  bytesMax: number
}

export class AllReports {
  /** Pushes sent, for tests and the bench. */
  sent = 0
  /** Records waiting to be pushed, by destination, then id (a newer copy replaces a queued one). */
  private readonly queues = new Map<string, Map<string, TaskRecord>>()
  /** Reports of tasks not yet settled here: id -> the settler they went to. */
  private readonly reported = new Map<string, string>()
  private timer: TimerHandle | undefined
  private readonly sends = new Set<Promise<void>>()
  private stopped = false

  constructor(private readonly deps: ReportsDeps) {}

  /** How many tasks this peer has reported and not yet seen settled. */
  get open(): number {
    return this.reported.size
  }

  /** A record of an "all" task changed here by this peer (an attempt's start or end, a settle): goes to its settler. */
  spread(r: TaskRecord): void {
    if (this.stopped) return
    const to = settlerOf(r, this.deps.members(), this.deps.self)
    if (to === this.deps.self) return
    if (isSettledAll(r)) this.reported.delete(r.id)
    else this.reported.set(r.id, to)
    this.queue(to, r)
  }

  /**
   * Changes committed here: a settled "all" record leaves the open reports, and the settler pushes each change of one
   * (it settled it, or a late peer's attempt joined it) to every other member.
   */
  onChanges(changes: readonly Change[]): void {
    let members: readonly string[] | undefined
    for (const { before, after } of changes) {
      if (after === undefined) {
        if (before !== undefined) this.reported.delete(before.id)
        continue
      }
      if (after.scope !== 'all') continue
      if (after.deleted || after.state === 'cancelled' || isSettledAll(after)) this.reported.delete(after.id)
      if (this.stopped || !isSettledAll(after)) continue
      members ??= this.deps.members()
      if (settlerOf(after, members, this.deps.self) !== this.deps.self) continue
      for (const m of members) if (m !== this.deps.self) this.queue(m, after)
    }
  }

  /** `peer` died or left: what this peer reported to it and is not settled yet goes to the task's next settler. */
  memberGone(peer: string): void {
    for (const [id, to] of [...this.reported]) {
      if (to !== peer) continue
      this.reported.delete(id)
      const r = this.deps.latest(id)
      if (r !== undefined && !r.deleted && r.state !== 'cancelled' && !isSettledAll(r)) this.spread(r)
    }
  }

  /** Pushes what is queued now and waits for the sends; later records are dropped (sync delivers them). */
  async stop(): Promise<void> {
    this.stopped = true
    this.flush()
    await Promise.allSettled([...this.sends])
  }

  private queue(to: string, r: TaskRecord): void {
    let q = this.queues.get(to)
    if (q === undefined) this.queues.set(to, q = new Map())
    q.delete(r.id)
    q.set(r.id, r)
    if (this.timer === undefined) {
      this.timer = this.deps.timers.setTimeout(() => {
        this.timer = undefined
        this.flush()
      }, this.deps.windowMs)
    }
  }

  private flush(): void {
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer)
    this.timer = undefined
    // A settled record broadcast to every member is measured once, not once per destination.
    const sizes = new Map<TaskRecord, number>()
    const size = (r: TaskRecord): number => sizes.get(r) ?? sizes.set(r, recordBytes(r)).get(r) as number
    for (const [to, q] of this.queues) {
      if (q.size === 1) {
        this.push(to, [...q.values()])
        continue
      }
      let batch: TaskRecord[] = []
      let bytes = 0
      for (const r of q.values()) {
        const n = size(r)
        if (batch.length > 0 && bytes + n > this.deps.bytesMax) {
          this.push(to, batch)
          batch = []
          bytes = 0
        }
        batch.push(r)
        bytes += n
      }
      if (batch.length > 0) this.push(to, batch)
    }
    this.queues.clear()
  }

  private push(to: string, records: TaskRecord[]): void {
    this.sent++
    const send = this.deps.send(to, records).catch((err: unknown) => {
      this.deps.logger.debug('report push failed; gossip and sync will carry it', { peer: to, records: records.length, err: (err as Error).message })
      this.deps.fallback(records)
    }).finally(() => { this.sends.delete(send) })
    this.sends.add(send)
  }
}
