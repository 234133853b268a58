// Free space on the disk that holds the store. lmdb-js does not recover from
// a write that fails for want of space (the commit's errors escape as
// unhandled rejections and later transactions hang), so we never let it get
// there: writes are refused with StoreFullError while the disk has less free
// than a reserve, and the peer does not start below it.

import { statfs } from 'node:fs/promises'
import { TroupeError } from '../errors.js'
import type { Timers, TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'

/** Default reserve: room for the writes in flight when the check trips (task inputs are at most 64 KiB). */
export const STORE_FREE_BYTES_MIN_DEFAULT = 64 * 1024 * 1024
/** How often free space is measured; a write between two checks may use up to one interval's worth of the reserve. */
export const DISK_CHECK_INTERVAL_MS = 1_000

/** A write refused because the store's disk is (nearly) full. Nothing was written; retry once space is freed. */
export class StoreFullError extends TroupeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'ERR_STORE_FULL', status: 507, retryable: true, ...options })
    this.name = 'StoreFullError'
  }
}

export interface DiskSpaceInit {
  /** Any path on the disk to watch. */
  path: string
  freeBytesMin: number
  timers: Timers
  logger?: Logger
  intervalMs?: number
  /** How free space is measured; default statfs (blocks available to unprivileged users). */
  measure?: (path: string) => Promise<number>
}

export async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path)
  return s.bavail * s.bsize
}

export class DiskSpace {
  private free = Number.POSITIVE_INFINITY
  private timer: TimerHandle | undefined
  private stopped = false
  private readonly measure: (path: string) => Promise<number>

  constructor(private readonly init: DiskSpaceInit) {
    this.measure = init.measure ?? freeBytes
  }

  /** Measures once (rejects if statfs fails), then keeps measuring until `stop()`. */
  async start(): Promise<void> {
    this.free = await this.measure(this.init.path)
    this.schedule()
  }

  get full(): boolean {
    return this.free < this.init.freeBytesMin
  }

  /** Bytes free at the last measure. */
  get lastFreeBytes(): number {
    return this.free
  }

  /** Throws StoreFullError while the disk is below the reserve. */
  check(): void {
    if (this.full) throw new StoreFullError(this.describe())
  }

  describe(): string {
    return `the disk holding ${this.init.path} has ${mib(this.free)} free, less than the ${mib(this.init.freeBytesMin)} reserve (storeFreeBytesMin): writes are refused until space is freed`
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.init.timers.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = this.init.timers.setTimeout(() => { void this.tick() }, this.init.intervalMs ?? DISK_CHECK_INTERVAL_MS)
  }

  private async tick(): Promise<void> {
    const wasFull = this.full
    try {
      this.free = await this.measure(this.init.path)
    } catch (err) {
      this.init.logger?.warn('cannot measure free disk space', { path: this.init.path, err: (err as Error).message })
    }
    if (!wasFull && this.full) this.init.logger?.error(this.describe())
    if (wasFull && !this.full) this.init.logger?.info('disk space is back above the reserve: writes accepted again', { path: this.init.path, freeBytes: this.free })
    this.schedule()
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
