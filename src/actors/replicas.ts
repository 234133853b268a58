// State copies on other peers: who keeps them (the successors, the peers that
// would take the partition over), sending a saved record to them, and asking
// them for theirs when an actor activates.
import type { Logger } from '../util/logger.js'
import type { Messenger } from '../wire/messenger.js'
import type { Successors } from './placement.js'
import { CHANNEL_STATE_GET, CHANNEL_STATE_PUT, WIRE_VERSION } from './constants.js'
import { voterSetId } from './catch-up.js'
import { ActorStateUnavailableError } from './errors.js'
import { compareRecords, newest, type FenceOrder } from './state-store.js'
import { parseStateGetReply, type StateGetBody, type StatePutBody, type StateRecord } from './wire.js'

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
  /** False while this peer catches up after a voter-set change (catch-up.ts). */
  ready?: () => boolean
  /** The voter set this peer caught up with (catch-up.ts), if any: its own copy then completes a read with a majority. */
  caughtUpWith?: () => number | undefined
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
    return Math.max(0, this.majority() - (this.isVoter() ? 1 : 0))
  }

  /** This peer's own copy counts toward a majority if it is a voter (for a read, whether or not it has caught up). */
  private isVoter(): boolean {
    return this.deps.quorum?.().includes(this.deps.self) === true
  }

  /**
   * How many holders (this peer included, if it is a voter) make a majority of
   * the voters: 0 without a quorum (best effort, nothing to confirm).
   */
  majority(): number {
    if (this.deps.replicas === 0) return 0
    const quorum = this.deps.quorum?.() ?? []
    return quorum.length === 0 ? 0 : Math.floor(quorum.length / 2) + 1
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

  /**
   * The copies the targets hold (unreachable or slow ones are skipped), once
   * they make a read that misses no acknowledged change. With this peer's own
   * copy if it is a voter, either a majority of the voters answered and at
   * least one of them has caught up with the current voter set (catch-up.ts:
   * it holds every change acknowledged under earlier sets, and the majority,
   * caught up or not, meets the one that holds any change acknowledged under
   * this set), or a majority of caught-up voters answered (the rule older
   * peers follow; their copies do not say which set they caught up with).
   * Otherwise ActorStateUnavailableError, which the host reads again after.
   */
  async fetch(p: number, address: string): Promise<Array<StateRecord | undefined>> {
    const body: StateGetBody = { v: WIRE_VERSION, a: address }
    const results = await Promise.allSettled(this.targets(p).map(async (peer) => {
      const reply = await this.deps.messenger.request(peer, CHANNEL_STATE_GET, body, { timeoutMs: this.deps.fetchTimeoutMs })
      return parseStateGetReply(reply, peer, this.deps.stateBytesMax)
    }))
    const majority = this.majority()
    const set = majority === 0 ? undefined : voterSetId(this.deps.quorum?.() ?? [])
    const voter = this.isVoter()
    let answered = 0
    let ready = voter && (this.deps.ready?.() ?? true) ? 1 : 0
    let caughtUp = voter && set !== undefined && this.deps.caughtUpWith?.() === set
    const out = results.map((r) => {
      if (r.status === 'fulfilled') {
        answered++
        if (r.value.ready) ready++
        if (r.value.ready && r.value.set === set) caughtUp = true
        return r.value.record
      }
      this.deps.logger.debug('state replica not fetched', { address, err: (r.reason as Error).message })
      return undefined
    })
    // Fewer answers than a majority could miss the last acknowledged change: activate later rather than from it.
    const needed = this.needed()
    if (answered < needed) throw new ActorStateUnavailableError(`actor ${address}: state copies answered by ${answered} of the ${needed} peers needed; try again`)
    if (majority > 0 && !caughtUp && ready < majority) throw new ActorStateUnavailableError(`actor ${address}: no voter that answered has caught up after the last voter-set change; try again`)
    return out
  }

  /**
   * The newest of this peer's copy and a majority's copies, and whether a
   * majority of the voters already holds that very record. A record that is
   * newest but not on a majority may be a change whose save failed (its
   * sender saw an error): the new activation must write it back to a
   * majority before it acknowledges anything built on it.
   */
  async read(p: number, address: string, local: StateRecord | undefined, order: FenceOrder): Promise<ReadState> {
    const copies = await this.fetch(p, address)
    const record = newest(order, [local, ...copies])
    if (record === undefined) return { record, confirmed: true }
    const majority = this.majority()
    if (majority === 0) return { record, confirmed: true }
    const same = (r: StateRecord | undefined): boolean => r !== undefined && compareRecords(order, r, record) === 0
    const holders = copies.filter(same).length + (this.isVoter() && same(local) ? 1 : 0)
    return { record, confirmed: holders >= majority }
  }
}

/** What an activation starts from. */
export interface ReadState {
  record: StateRecord | undefined
  /** A majority of the voters holds `record` (always true without a quorum or without a record). */
  confirmed: boolean
}
