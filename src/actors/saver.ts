// Saving one actor's state: the record goes to the local store (commits keep
// version order) and, at the same time, to the replicas. Replication is coalesced: while a
// round is in flight, newer saves only replace the record waiting to go, and
// the next round carries the newest; a save resolves once a round carrying
// its version (or a newer one) has settled. So a hot actor costs at most one
// replication request in flight per replica, however fast it changes.
import { UnavailableError } from '../errors.js'
import type { Logger } from '../util/logger.js'
import type { Replicas } from './replicas.js'
import type { StateStore } from './state-store.js'
import type { StateRecord } from './wire.js'

interface Waiter {
  v: number
  resolve: () => void
  reject: (err: unknown) => void
}

export class Saver {
  private waiting: StateRecord | undefined
  private waiters: Waiter[] = []
  private sending = false

  constructor(
    private readonly address: string,
    private readonly partition: number,
    private readonly store: StateStore,
    private readonly replicas: Replicas,
    private readonly logger: Logger,
  ) {}

  /** Resolves when the record is committed locally and its replication round settled (both run at once); rejects if the local commit fails. */
  async save(record: StateRecord): Promise<void> {
    await Promise.all([this.store.put(this.address, record), this.replicate(record)])
  }

  private replicate(record: StateRecord): Promise<void> {
    if (this.replicas.targets(this.partition).length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ v: record.v, resolve, reject })
      if (this.waiting === undefined || this.waiting.v < record.v) this.waiting = record
      if (!this.sending) void this.pump()
    })
  }

  private async pump(): Promise<void> {
    this.sending = true
    try {
      for (let record = this.waiting; record !== undefined; record = this.waiting) {
        this.waiting = undefined
        const acked = await this.replicas.put(this.partition, this.address, record).catch((err: unknown) => {
          this.logger.error('state replication failed', { address: this.address, err: (err as Error).message })
          return 0
        })
        const needed = this.replicas.needed()
        if (acked === 0) this.logger.warn('state saved on this peer only', { address: this.address, version: record.v })
        const done = this.waiters.filter(w => w.v <= record.v)
        this.waiters = this.waiters.filter(w => w.v > record.v)
        // Short of the majority, the change is not acknowledged: the sender sees an error (the outcome is unknown to it).
        const short = acked < needed ? new UnavailableError(`actor ${this.address}: state change copied to ${acked} of the ${needed} peers needed`) : undefined
        for (const w of done) if (short === undefined) w.resolve(); else w.reject(short)
      }
    } finally {
      this.sending = false
    }
  }
}
