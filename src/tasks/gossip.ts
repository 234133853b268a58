// Outbound gossip: records changed here are coalesced for a few ms, packed
// into messages of at most gossipBytesMax, and published at most
// gossipMessagesPerSecond (gossipsub drops bursts; see the anchors). The
// queue is bounded: past it the oldest records are dropped, because gossip is
// only the fast path and sync delivers whatever it misses.
import type { Timers, TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { TaskPubSub } from './bus.js'
import { pack } from 'msgpackr'
import { encodeGossipPacked } from './codec.js'
import type { TaskRecord } from './record.js'

export interface GossipOutInit {
  topic: string
  coalesceMs: number
  bytesMax: number
  messagesPerSecond: number
  queueMax: number
  /** Observes each message handed to the bus, with its size in bytes (metrics). */
  onPublished?: (bytes: number) => void
}

/** msgpack overhead of the envelope `{ v, records: [...] }`. */
const ENVELOPE_BYTES = 32

export class GossipOut {
  dropped = 0
  sent = 0
  private readonly queue = new Map<string, TaskRecord>()
  private timer: TimerHandle | undefined
  private stopped = false

  constructor(private readonly pubsub: TaskPubSub, private readonly timers: Timers, private readonly logger: Logger, private readonly init: GossipOutInit) {}

  push(records: readonly TaskRecord[]): void {
    if (this.stopped) return
    for (const r of records) {
      this.queue.delete(r.id)
      this.queue.set(r.id, r)
    }
    while (this.queue.size > this.init.queueMax) {
      const oldest = this.queue.keys().next().value as string
      this.queue.delete(oldest)
      this.dropped++
    }
    this.schedule(this.init.coalesceMs)
  }

  /** Sends what is queued now (ignoring the pace) and stops. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer)
    this.timer = undefined
    while (this.queue.size > 0) await this.publishOne()
    this.stopped = true
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined || this.queue.size === 0) return
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined
      void this.publishOne().finally(() => this.schedule(1000 / this.init.messagesPerSecond))
    }, ms)
  }

  /** Publishes one message of the oldest queued records, up to the byte cap (one record always goes, whatever its size). */
  private async publishOne(): Promise<void> {
    const batch: Uint8Array[] = []
    let bytes = ENVELOPE_BYTES
    for (const [id, r] of this.queue) {
      const packed = pack(r)
      if (batch.length > 0 && bytes + packed.length > this.init.bytesMax) break
      batch.push(packed)
      bytes += packed.length
      this.queue.delete(id)
    }
    if (batch.length === 0) return
    try {
      const data = encodeGossipPacked(batch)
      await this.pubsub.publish(this.init.topic, data)
      this.sent++
      this.init.onPublished?.(data.length)
    } catch (err) {
      this.logger.warn('gossip publish failed; sync will deliver these records', { records: batch.length, err: (err as Error).message })
    }
  }
}
