// State copies on other peers: who keeps them (the successors, the peers that
// would take the partition over), sending a saved record to them, and asking
// them for theirs when an actor activates.
import { UnavailableError } from '../errors.js'
import type { Logger } from '../util/logger.js'
import type { Messenger } from '../wire/messenger.js'
import type { Successors } from './placement.js'
import { CHANNEL_STATE_GET, CHANNEL_STATE_PUT, WIRE_VERSION } from './constants.js'
import { parseRecord, type StateGetBody, type StatePutBody, type StateRecord } from './wire.js'

export interface ReplicasDeps {
  self: string
  messenger: Messenger
  successors: Successors
  /**
   * The peers a majority of which must hold every acknowledged state change
   * (the lease voters). Copies then go to all of them, a save waits for that
   * majority, and an activation reads from that majority: any two majorities
   * meet, so a new host always sees the last acknowledged change, across a
   * crash or a partition. Without it, copies go to the successors, best effort.
   */
  quorum?: () => readonly string[]
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
    const quorum = this.deps.quorum?.() ?? []
    if (quorum.length > 0) return quorum.filter(peer => peer !== self)
    return this.deps.successors.successorsOf(p, replicas + 1).filter(peer => peer !== self).slice(0, replicas)
  }

  /** How many of the targets must ack a copy (or answer a read) besides this peer: 0 without a quorum. */
  needed(): number {
    if (this.deps.replicas === 0) return 0
    const quorum = this.deps.quorum?.() ?? []
    if (quorum.length === 0) return 0
    return Math.max(0, Math.floor(quorum.length / 2) + 1 - (quorum.includes(this.deps.self) ? 1 : 0))
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
    const needed = this.needed()
    const results = await Promise.allSettled(this.targets(p).map(async (peer) => {
      const reply = await this.deps.messenger.request(peer, CHANNEL_STATE_GET, body, { timeoutMs: this.deps.fetchTimeoutMs })
      const r = (reply as { r?: unknown } | null)?.r
      return r === undefined ? undefined : parseRecord(r, this.deps.stateBytesMax)
    }))
    let answered = 0
    const out = results.map((r) => {
      if (r.status === 'fulfilled') {
        answered++
        return r.value
      }
      this.deps.logger.debug('state replica not fetched', { address, err: (r.reason as Error).message })
      return undefined
    })
    // Fewer answers than a majority could miss the last acknowledged change: activate later rather than from it.
    if (answered < needed) throw new UnavailableError(`actor ${address}: state copies answered by ${answered} of the ${needed} peers needed; try again`)
    return out
  }
}
