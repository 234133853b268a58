// The membership view: pure state transitions, no I/O. A member is alive while
// its heartbeat counter keeps growing as seen through gossip; it is suspected,
// then declared dead, after a configured time without progress. Time during
// which this process itself was stalled is not counted against anyone.

import type { Random } from '../util/random.js'
import { compareRecords, type MemberRecord } from './record.js'
import type { MembershipOptions } from './options.js'

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left'

export interface MemberInfo {
  record: MemberRecord
  state: MemberState
  /** Local monotonic time of the last state change. */
  since: number
  self: boolean
}

export type ViewEvent =
  | { type: 'join', member: MemberInfo, restarted: boolean }
  | { type: 'update', member: MemberInfo }
  | { type: 'suspect', member: MemberInfo }
  | { type: 'recover', member: MemberInfo }
  | { type: 'dead', member: MemberInfo }
  | { type: 'leave', member: MemberInfo }

interface Entry {
  record: MemberRecord
  state: MemberState
  since: number
  /** Local time the heartbeat last grew (shifted forward by our own stalls). */
  progressAt: number
}

export class MemberView {
  private self: MemberRecord
  private readonly entries = new Map<string, Entry>()
  private readonly options: MembershipOptions
  private readonly startedAt: number
  private lastTickAt: number
  private lastBeatAt: number

  constructor(self: MemberRecord, options: MembershipOptions, now: number) {
    this.self = { ...self }
    this.options = options
    this.startedAt = now
    this.lastTickAt = now
    this.lastBeatAt = now
  }

  get selfRecord(): MemberRecord {
    return this.self
  }

  /** Changes what this member announces (addresses, hosted names); gossip carries it with the next heartbeat. */
  updateSelf(patch: Partial<Pick<MemberRecord, 'addrs' | 'httpUrl' | 'hosts' | 'cfg'>>): void {
    this.self = { ...this.self, ...patch, heartbeat: this.self.heartbeat + 1 }
  }

  /** Marks this member as leaving; returns the record to tell everyone. */
  leave(): MemberRecord {
    this.self = { ...this.self, status: 'left', heartbeat: this.self.heartbeat + 1 }
    return this.self
  }

  tick(now: number): ViewEvent[] {
    const stalledMs = now - this.lastTickAt - this.options.tickIntervalMs
    if (stalledMs > this.options.localStallToleranceMs) {
      // We could not observe anyone while stalled: do not count it against them.
      for (const e of this.entries.values()) e.progressAt += stalledMs
    }
    this.lastTickAt = now
    if (now - this.lastBeatAt >= this.options.heartbeatIntervalMs && this.self.status === 'alive') {
      this.self = { ...this.self, heartbeat: this.self.heartbeat + 1 }
      this.lastBeatAt = now
    }
    const events: ViewEvent[] = []
    for (const [id, e] of this.entries) {
      const silentMs = now - e.progressAt
      if ((e.state === 'alive' || e.state === 'suspect') && silentMs >= this.options.deadAfterMs) {
        this.setState(e, 'dead', now)
        events.push({ type: 'dead', member: this.info(e) })
      } else if (e.state === 'alive' && silentMs >= this.options.suspectAfterMs) {
        this.setState(e, 'suspect', now)
        events.push({ type: 'suspect', member: this.info(e) })
      } else if ((e.state === 'dead' || e.state === 'left') && now - e.since >= this.options.forgetAfterMs) {
        this.entries.delete(id)
      }
    }
    return events
  }

  /** Folds records received from a peer into the view. */
  merge(records: MemberRecord[], now: number): ViewEvent[] {
    const events: ViewEvent[] = []
    for (const r of records) {
      if (r.id === this.self.id) continue
      const event = this.mergeOne(r, now)
      if (event !== undefined) events.push(event)
    }
    return events
  }

  private mergeOne(r: MemberRecord, now: number): ViewEvent | undefined {
    const e = this.entries.get(r.id)
    if (e === undefined) {
      if (this.entries.size + 1 >= this.options.membersMax) return undefined
      const entry: Entry = { record: r, state: r.status === 'left' ? 'left' : 'alive', since: now, progressAt: now }
      this.entries.set(r.id, entry)
      return entry.state === 'alive' ? { type: 'join', member: this.info(entry), restarted: false } : undefined
    }
    if (compareRecords(r, e.record) <= 0) return undefined
    const previous = e.record
    const before = e.state
    e.record = r
    e.progressAt = now
    if (r.status === 'left') {
      if (before === 'left') return undefined
      this.setState(e, 'left', now)
      return before === 'dead' ? undefined : { type: 'leave', member: this.info(e) }
    }
    if (r.incarnation > previous.incarnation || before === 'dead' || before === 'left') {
      this.setState(e, 'alive', now)
      return { type: 'join', member: this.info(e), restarted: r.incarnation > previous.incarnation }
    }
    if (before === 'suspect') {
      this.setState(e, 'alive', now)
      return { type: 'recover', member: this.info(e) }
    }
    if (changedAnnouncement(previous, r)) return { type: 'update', member: this.info(e) }
    return undefined
  }

  /** Records to send in a gossip exchange: ours first, then everything we know (tombstones included, so departures spread). */
  digest(): MemberRecord[] {
    const out = [this.self]
    for (const e of this.entries.values()) out.push(e.record)
    return out
  }

  /** Whom to gossip with this round: `fanout` live members, and now and then one we think dead, to notice a healed partition. */
  gossipTargets(random: Random): string[] {
    const live: string[] = []
    const dead: string[] = []
    for (const [id, e] of this.entries) {
      if (e.state === 'alive' || e.state === 'suspect') live.push(id)
      else if (e.state === 'dead') dead.push(id)
    }
    const targets = sample(live, this.options.gossipFanout, random)
    if (dead.length > 0 && random.next() < this.options.deadProbeChance) {
      targets.push(dead[Math.floor(random.next() * dead.length)] as string)
    }
    return targets
  }

  members(): MemberInfo[] {
    const out: MemberInfo[] = [{ record: this.self, state: this.self.status === 'left' ? 'left' : 'alive', since: this.startedAt, self: true }]
    for (const e of this.entries.values()) out.push(this.info(e))
    return out
  }

  get(id: string): MemberInfo | undefined {
    if (id === this.self.id) return this.members()[0]
    const e = this.entries.get(id)
    return e === undefined ? undefined : this.info(e)
  }

  private setState(e: Entry, state: MemberState, now: number): void {
    e.state = state
    e.since = now
  }

  private info(e: Entry): MemberInfo {
    return { record: e.record, state: e.state, since: e.since, self: false }
  }
}

function changedAnnouncement(a: MemberRecord, b: MemberRecord): boolean {
  return a.httpUrl !== b.httpUrl || a.cfg !== b.cfg ||
    a.addrs.join(' ') !== b.addrs.join(' ') ||
    a.hosts.actors.join(' ') !== b.hosts.actors.join(' ') ||
    a.hosts.tasks.join(' ') !== b.hosts.tasks.join(' ')
}

function sample<T>(items: T[], n: number, random: Random): T[] {
  const copy = items.slice()
  const out: T[] = []
  while (out.length < n && copy.length > 0) {
    const i = Math.floor(random.next() * copy.length)
    out.push(copy[i] as T)
    copy.splice(i, 1)
  }
  return out
}
