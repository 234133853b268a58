// Outbound gossip: records changed here are coalesced for a few ms, packed
// into messages of at most gossipBytesMax, and published at most
// gossipMessagesPerSecond (gossipsub drops bursts; see the anchors). The
// queue is bounded: past it the oldest records are dropped, because gossip is
// only the fast path and sync delivers whatever it misses.
// A record pushed `lazy` (one that already went to every member by the direct
// push, or an "all" task's attempt, which only informs) waits up to
// gossipLazyMs, and rides along earlier with any message that goes out
// meanwhile: every gossip message costs each other peer a signature check, so
// a peer's attempts of many "all" tasks share one message instead of two each.
// A record that rides (a new "all" task, whose direct push reached every
// member) goes only with a message that leaves anyway within gossipLazyMs,
// and is dropped otherwise: it is the cheap repair of a push lost after it was
// queued, and a message of its own would cost every peer a signature check
// per "all" task (a third of a 10-peer cluster's CPU per "all" task).
// A finished "any" task at a light load would be a message of its own, and a
// signature check on every other peer, for one record: the service asks
// `alone` first, and such a record goes by direct push to every member and
// rides along here instead. When records come faster than the coalescing
// window, they share messages as before.
// A record `deferred` (a new "any" task, already durable on a replica that is
// usually its partition's holder) waits gossipDeferMs without riding along, and
// is dropped if meanwhile a copy that covers it arrives by gossip (the
// holder's record of the finished task, which has gone to everyone): a short
// task then costs the other peers one record, and one write, instead of two.
import type { Clock, Timers, TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { TaskPubSub } from './bus.js'
import { encodeGossipPacked } from './codec.js'
import { PeerTable } from './compact.js'
import { CompactWriter } from './compact-writer.js'
import { changes } from './merge.js'
import type { TaskRecord } from './record.js'

export interface GossipOutInit {
  topic: string
  coalesceMs: number
  /** How long a lazy record may wait for company (>= coalesceMs). */
  lazyMs: number
  /** How long a deferred record waits before it is queued. */
  deferMs: number
  bytesMax: number
  messagesPerSecond: number
  queueMax: number
  /** Observes each message handed to the bus, with its size in bytes (metrics). */
  onPublished?: (bytes: number) => void
}

/** msgpack overhead of the envelope `{ v, peers: [...], records: [...] }`. */
const ENVELOPE_BYTES = 32

/** msgpack overhead of one peer id in the table (its string header). */
const PEER_ENTRY_BYTES = 2

export class GossipOut {
  dropped = 0
  sent = 0
  /** Queued or deferred records dropped because a copy that covers them arrived by gossip. */
  superseded = 0
  /** Riders that went along with a message, and riders dropped because none left in time (or past queueMax). */
  readonly rides = { taken: 0, missed: 0 }
  private readonly queue = new Map<string, TaskRecord>()
  /** Riders and until when (monotonic ms) each may still go, oldest first. */
  private readonly riders = new Map<string, { record: TaskRecord, until: number }>()
  /** Deferred records and when each joins the queue (monotonic ms), oldest first. */
  private readonly deferred = new Map<string, { record: TaskRecord, at: number }>()
  private deferTimer: TimerHandle | undefined
  /** Ids undeferred before they were deferred, and until when (monotonic ms) that holds. */
  private readonly early = new Map<string, number>()
  /** When the queue must go out at the latest (monotonic ms); undefined when empty. */
  private dueAt: number | undefined
  private timer: { handle: TimerHandle, at: number } | undefined
  /** No publish before this (the pace). */
  private notBefore = 0
  private publishing = false
  /** When a record was last queued or asked `alone` about (monotonic ms). */
  private lastSpreadAt = Number.NEGATIVE_INFINITY
  /** Writes each record's tuple once, for its size and then the message. */
  private readonly writer = new CompactWriter()
  private stopped = false

  constructor(private readonly pubsub: TaskPubSub, private readonly timers: Timers, private readonly clock: Clock, private readonly logger: Logger, private readonly init: GossipOutInit) {}

  /** Queues records; `lazy` ones may wait gossipLazyMs (a newer copy of a queued record keeps the earlier deadline). */
  push(records: readonly TaskRecord[], lazy = false): void {
    if (this.stopped || records.length === 0) return
    for (const r of records) {
      // A newer copy of a deferred record (this peer ran it) goes instead.
      this.deferred.delete(r.id)
      this.riders.delete(r.id)
      this.queue.delete(r.id)
      this.queue.set(r.id, r)
    }
    while (this.queue.size > this.init.queueMax) {
      const oldest = this.queue.keys().next().value as string
      this.queue.delete(oldest)
      this.dropped++
    }
    const now = this.lastSpreadAt = this.clock.now()
    const due = now + (lazy ? Math.max(this.init.lazyMs, this.init.coalesceMs) : this.init.coalesceMs)
    this.dueAt = this.dueAt === undefined ? due : Math.min(this.dueAt, due)
    this.schedule()
  }

  /**
   * Whether a record spread now would be a message of its own: nothing is queued, and no record was queued or asked
   * about within coalesceMs. Each call counts as a record spread, so records that come faster than that are told
   * no (after the first) and share messages.
   */
  alone(): boolean {
    const now = this.clock.now()
    const alone = this.queue.size === 0 && now - this.lastSpreadAt >= this.init.coalesceMs
    this.lastSpreadAt = now
    return alone
  }

  /**
   * Records that go only with a message that leaves anyway within gossipLazyMs, never in one of their own; dropped
   * after that (sync repairs what needs it). A copy already queued is replaced, and keeps its place and deadline; a
   * deferred copy is dropped.
   */
  ride(records: readonly TaskRecord[]): void {
    if (this.stopped || records.length === 0) return
    const now = this.clock.now()
    this.expireRiders(now)
    const until = now + this.init.lazyMs
    for (const r of records) {
      // A newer copy of a deferred record (this peer ran it, and pushed the outcome to every member) replaces it.
      this.deferred.delete(r.id)
      if (this.queue.has(r.id)) {
        this.queue.set(r.id, r)
        continue
      }
      this.riders.delete(r.id)
      this.riders.set(r.id, { record: r, until })
    }
    while (this.riders.size > this.init.queueMax) {
      this.riders.delete(this.riders.keys().next().value as string)
      this.rides.missed++
    }
  }

  /** Holds records back for gossipDeferMs, then queues them, unless `supersede` drops them first. */
  defer(records: readonly TaskRecord[]): void {
    if (this.stopped || records.length === 0) return
    const now = this.clock.now()
    const at = now + this.init.deferMs
    let early: TaskRecord[] | undefined
    for (const r of records) {
      this.deferred.delete(r.id)
      if (this.early.size > 0 && this.takeEarly(r.id, now)) (early ??= []).push(r)
      else this.deferred.set(r.id, { record: r, at })
    }
    if (early !== undefined) this.push(early)
    while (this.deferred.size > this.init.queueMax) {
      const oldest = this.deferred.keys().next().value as string
      this.deferred.delete(oldest)
      this.dropped++
    }
    this.armDeferred()
  }

  /**
   * Queues now those of `ids` that are deferred (their put reached a peer that will not run them): the holder hears
   * by gossip. An id not deferred yet (the answer came before the local commit that defers it) is remembered for
   * gossipDeferMs, and goes out at once when it is deferred.
   */
  undefer(ids: Iterable<string>): void {
    if (this.stopped) return
    const now: TaskRecord[] = []
    const until = this.clock.now() + this.init.deferMs
    for (const id of ids) {
      const d = this.deferred.get(id)
      if (d === undefined) {
        this.early.set(id, until)
        continue
      }
      this.deferred.delete(id)
      now.push(d.record)
    }
    while (this.early.size > this.init.queueMax) this.early.delete(this.early.keys().next().value as string)
    this.push(now)
  }

  /**
   * Records that arrived by gossip, or by a push to every member: a queued or deferred copy they cover (whose merge
   * into them changes nothing) is not sent, since what arrived has gone to every peer already.
   */
  supersede(arrived: readonly TaskRecord[]): void {
    if (this.queue.size === 0 && this.deferred.size === 0 && this.riders.size === 0) return
    const covers = (r: TaskRecord, mine: TaskRecord | undefined): boolean => mine !== undefined && !changes(r, mine)
    for (const r of arrived) {
      if (covers(r, this.deferred.get(r.id)?.record) && this.deferred.delete(r.id)) this.superseded++
      if (covers(r, this.queue.get(r.id)) && this.queue.delete(r.id)) this.superseded++
      if (covers(r, this.riders.get(r.id)?.record) && this.riders.delete(r.id)) this.superseded++
    }
  }

  /** Sends what is queued and deferred now (ignoring the pace) and stops. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer.handle)
    if (this.deferTimer !== undefined) this.timers.clearTimeout(this.deferTimer)
    this.timer = undefined
    this.deferTimer = undefined
    for (const [id, { record }] of this.deferred) if (!this.queue.has(id)) this.queue.set(id, record)
    this.deferred.clear()
    this.stopped = true
    while (this.queue.size > 0) await this.publishOne()
    this.rides.missed += this.riders.size
    this.riders.clear()
  }

  /** Drops the riders whose time to go along has passed. */
  private expireRiders(now: number): void {
    for (const [id, { until }] of this.riders) {
      if (until >= now) break
      this.riders.delete(id)
      this.rides.missed++
    }
  }

  /** Whether `id` was undeferred before it was deferred, within gossipDeferMs; forgets it either way. */
  private takeEarly(id: string, now: number): boolean {
    const until = this.early.get(id)
    if (until === undefined) return false
    this.early.delete(id)
    return until >= now
  }

  /** Moves deferred records whose time has come into the queue; arms for the next. */
  private armDeferred(): void {
    if (this.stopped || this.deferTimer !== undefined) return
    const first = this.deferred.values().next().value
    if (first === undefined) return
    this.deferTimer = this.timers.setTimeout(() => {
      this.deferTimer = undefined
      const now = this.clock.now()
      const due: TaskRecord[] = []
      for (const [id, { record, at }] of this.deferred) {
        if (at > now) break
        due.push(record)
        this.deferred.delete(id)
      }
      this.push(due)
      this.armDeferred()
    }, Math.max(0, first.at - this.clock.now()))
  }

  /** Arms the timer for the queue's deadline, not before the pace allows; a later timer is moved earlier. */
  private schedule(): void {
    if (this.stopped || this.publishing || this.dueAt === undefined) return
    const at = Math.max(this.dueAt, this.notBefore)
    if (this.timer !== undefined) {
      if (this.timer.at <= at) return
      this.timers.clearTimeout(this.timer.handle)
    }
    const handle = this.timers.setTimeout(() => {
      this.timer = undefined
      this.publishing = true
      void this.publishOne().finally(() => {
        this.publishing = false
        this.notBefore = this.clock.now() + 1000 / this.init.messagesPerSecond
        if (this.queue.size === 0) this.dueAt = undefined
        this.schedule()
      })
    }, Math.max(0, at - this.clock.now()))
    this.timer = { handle, at }
  }

  /**
   * Publishes one message of the oldest queued records, lazy ones included, up to the byte cap (one record always
   * goes, whatever its size); riders fill what room is left.
   */
  private async publishOne(): Promise<void> {
    this.dueAt = undefined
    const batch: Uint8Array[] = []
    const peers = new PeerTable()
    let bytes = ENVELOPE_BYTES
    // Adds r's tuple to the batch if it fits (or the batch is empty); false when it does not.
    const add = (r: TaskRecord): boolean => {
      const known = peers.size
      this.writer.begin()
      this.writer.tuple(r, peers)
      const packed = this.writer.end()
      // A peer id new to this message adds its bytes to the table (a record that does not fit leaves one unused: harmless).
      let size = packed.length
      for (let i = known; i < peers.size; i++) size += PEER_ENTRY_BYTES + peers.at(i).length
      if (batch.length > 0 && bytes + size > this.init.bytesMax) return false
      batch.push(packed)
      bytes += size
      return true
    }
    for (const [id, r] of this.queue) {
      if (!add(r)) break
      this.queue.delete(id)
    }
    // What did not fit goes next, as soon as the pace allows.
    if (this.queue.size > 0) this.dueAt = this.clock.now()
    if (batch.length === 0) return
    if (this.riders.size > 0 && this.queue.size === 0) {
      this.expireRiders(this.clock.now())
      for (const [id, { record }] of this.riders) {
        if (!add(record)) break
        this.riders.delete(id)
        this.rides.taken++
      }
    }
    try {
      const data = encodeGossipPacked(peers.ids, batch)
      await this.pubsub.publish(this.init.topic, data)
      this.sent++
      this.init.onPublished?.(data.length)
    } catch (err) {
      this.logger.warn('gossip publish failed; sync will deliver these records', { records: batch.length, err: (err as Error).message })
    }
  }
}
