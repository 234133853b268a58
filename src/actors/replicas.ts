// State copies on other peers: who keeps them (the successors, the peers that
// would take the partition over), sending a saved record to them, and asking
// them for theirs when an actor activates.
import type { Logger } from '../util/logger.js'
import type { Messenger } from '../wire/messenger.js'
import type { Successors } from './placement.js'
import { CHANNEL_STATE_GET, CHANNEL_STATE_PUT, WIRE_VERSION } from './constants.js'
import { parseRecord, type StateGetBody, type StatePutBody, type StateRecord } from './wire.js'

export interface ReplicasDeps {
  self: string
  messenger: Messenger
  successors: Successors
  logger: Logger
  replicas: number
  replicateTimeoutMs: number
  fetchTimeoutMs: number
  stateBytesMax: number
}

export class Replicas {
  constructor(private readonly deps: ReplicasDeps) {}

  /** The other peers that keep copies for partition p. */
  targets(p: number): string[] {
    const { replicas, self } = this.deps
    if (replicas === 0) return []
    return this.deps.successors.successorsOf(p, replicas + 1).filter(peer => peer !== self).slice(0, replicas)
  }

  /** Sends the record to every target; resolves with how many acked (never rejects). */
  async put(p: number, address: string, record: StateRecord): Promise<number> {
    const body: StatePutBody = { v: WIRE_VERSION, a: address, r: record }
    const results = await Promise.allSettled(this.targets(p).map(peer =>
      this.deps.messenger.request(peer, CHANNEL_STATE_PUT, body, { timeoutMs: this.deps.replicateTimeoutMs })))
    let acked = 0
    for (const r of results) {
      if (r.status === 'fulfilled') acked++
      else this.deps.logger.warn('state replica not stored', { address, version: record.v, err: (r.reason as Error).message })
    }
    return acked
  }

  /** The copies the targets hold (unreachable or slow ones are skipped). */
  async fetch(p: number, address: string): Promise<Array<StateRecord | undefined>> {
    const body: StateGetBody = { v: WIRE_VERSION, a: address }
    const results = await Promise.allSettled(this.targets(p).map(async (peer) => {
      const reply = await this.deps.messenger.request(peer, CHANNEL_STATE_GET, body, { timeoutMs: this.deps.fetchTimeoutMs })
      const r = (reply as { r?: unknown } | null)?.r
      return r === undefined ? undefined : parseRecord(r, this.deps.stateBytesMax)
    }))
    return results.map((r) => {
      if (r.status === 'fulfilled') return r.value
      this.deps.logger.debug('state replica not fetched', { address, err: (r.reason as Error).message })
      return undefined
    })
  }
}
