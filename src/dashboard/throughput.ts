// Throughput over the last minutes: every `bucketMs` the sampler reads two
// counters and keeps how much each grew, in a fixed-size ring. The bucket
// still filling is reported live, so a chart moves before the next tick.

import type { Clock, TimerHandle, Timers, WallClock } from '../util/clock.js'
import type { ThroughputPoint } from './types.js'

export const BUCKET_MS = 10_000
export const BUCKETS = 30

export interface ThroughputInit {
  clock: Clock & WallClock
  timers: Timers
  counters: { tasks: () => number, requests: () => number }
  bucketMs?: number
  buckets?: number
}

export class Throughput {
  readonly bucketMs: number
  private readonly size: number
  private readonly ring: ThroughputPoint[] = []
  private last = { tasks: 0, requests: 0 }
  private timer: TimerHandle | undefined

  constructor(private readonly init: ThroughputInit) {
    this.bucketMs = init.bucketMs ?? BUCKET_MS
    this.size = init.buckets ?? BUCKETS
  }

  start(): void {
    if (this.timer !== undefined) return
    this.last = this.read()
    this.arm()
  }

  stop(): void {
    if (this.timer !== undefined) this.init.timers.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Oldest first; the last point is the bucket still filling. */
  points(): ThroughputPoint[] {
    const now = this.read()
    const live = { at: this.init.clock.wallNow(), tasks: now.tasks - this.last.tasks, requests: now.requests - this.last.requests }
    return [...this.ring, live]
  }

  /** Closes the current bucket (the timer calls it; tests may too). */
  sample(): void {
    const now = this.read()
    this.ring.push({ at: this.init.clock.wallNow(), tasks: now.tasks - this.last.tasks, requests: now.requests - this.last.requests })
    if (this.ring.length > this.size) this.ring.shift()
    this.last = now
  }

  private read(): { tasks: number, requests: number } {
    return { tasks: this.init.counters.tasks(), requests: this.init.counters.requests() }
  }

  private arm(): void {
    this.timer = this.init.timers.setTimeout(() => {
      this.sample()
      this.arm()
    }, this.bucketMs)
    const id = this.timer.id as { unref?: () => void } | undefined
    if (typeof id === 'object' && id !== null) id.unref?.()
  }
}
