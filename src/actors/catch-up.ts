// Voter-set changes and actor state. An acknowledged change is held by a
// majority of the voters of the config it was made in; a majority of the next
// voter set need not include any of them (5 -> 3 voters after a crash, for
// example). So a peer that becomes a voter of a new set first pulls every
// saved state from a majority of each earlier set it has not yet caught up
// with, and until then answers state reads with "not ready": an activation
// counts only ready voters toward its majority, and every ready voter holds
// what was acknowledged before the change.
//
// The pull starts `settleMs` after the change (the lease layer's wait before
// a new config grants anything, by which time every tenure of the old config
// has ended, so no old holder acknowledges a change after the pull read it).
import type { Timers, TimerHandle } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Messenger } from '../wire/messenger.js'
import { CATCH_UP_REQUEST_TIMEOUT_MS, CATCH_UP_RETRY_MS, CHANNEL_STATE_LIST, WIRE_VERSION } from './constants.js'
import type { StateStore } from './state-store.js'
import { parseStateListReply, type StateListBody } from './wire.js'
import { fnv1a32 } from '../lease/hash.js'

/** A short id of a voter set (its members in any order): what a caught-up voter's copy says it caught up with. */
export function voterSetId(voters: readonly string[]): number {
  return fnv1a32([...voters].sort().join(','))
}

export interface CatchUpDeps {
  self: string
  messenger: Messenger
  store: StateStore
  timers: Timers
  logger: Logger
  stateBytesMax: number
  retryMs?: number
}

export class CatchUp {
  /** Earlier voter sets of which a majority must still be read. */
  private pending: Array<readonly string[]> = []
  /** Peers whose every record has been pulled in the current round of catching up. */
  private readonly pulled = new Set<string>()
  private known: readonly string[] | undefined
  private caughtUp: number | undefined
  private timer: TimerHandle | undefined
  private epoch = 0
  private stopped = false

  constructor(private readonly deps: CatchUpDeps) {}

  /** True when this peer may answer state reads as a voter. */
  get ready(): boolean {
    return this.pending.length === 0
  }

  /**
   * The id (voterSetId) of the voter set this peer has caught up with by
   * reading the earlier sets' majorities (or being one by itself): it holds
   * every change acknowledged before that set. Undefined while catching up,
   * when not a voter, and for the first set a peer learns (from its disk
   * after a restart, perhaps in the middle of a catch-up, or as a new peer):
   * such a peer is ready, but its copy alone completes no read.
   */
  get caughtUpWith(): number | undefined {
    return this.caughtUp
  }

  /**
   * The voter set is now `voters`. The first set a peer learns needs no catch
   * up (it was not a voter before, or it starts from its own disk).
   */
  votersChanged(voters: readonly string[], settleMs: number): void {
    const previous = this.known
    this.known = [...voters]
    if (previous === undefined || sameSet(previous, voters)) return
    if (!voters.includes(this.deps.self)) {
      // Not a voter: nobody counts on its answers.
      this.reset()
      return
    }
    this.pending.push(previous)
    this.pulled.clear()
    this.caughtUp = undefined
    this.epoch++
    // A set this peer alone is a majority of (the first voter growing the cluster): its own disk holds every acknowledged change.
    if (this.pending.every(set => this.majorityRead(set))) {
      this.pending = []
      this.caughtUp = voterSetId(voters)
      return
    }
    this.deps.logger.info('voter set changed: pulling actor state before answering reads', { from: previous.length, to: voters.length })
    this.schedule(settleMs)
  }

  stop(): void {
    this.stopped = true
    this.reset()
  }

  private reset(): void {
    this.pending = []
    this.caughtUp = undefined
    this.pulled.clear()
    this.epoch++
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(ms: number): void {
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer)
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = undefined
      void this.round(this.epoch)
    }, ms)
  }

  private async round(epoch: number): Promise<void> {
    const sources = [...new Set(this.pending.flat())].filter(p => p !== this.deps.self && !this.pulled.has(p))
    await Promise.all(sources.map(async (peer) => {
      try {
        await this.pullAll(peer, epoch)
        if (epoch === this.epoch) this.pulled.add(peer)
      } catch (err) {
        this.deps.logger.debug('actor state not pulled', { peer, err: (err as Error).message })
      }
    }))
    if (this.stopped || epoch !== this.epoch) return
    if (this.pending.every(set => this.majorityRead(set))) {
      this.pending = []
      this.caughtUp = this.known === undefined ? undefined : voterSetId(this.known)
      this.deps.logger.info('actor state caught up with the earlier voters', { peers: this.pulled.size })
      return
    }
    this.schedule(this.deps.retryMs ?? CATCH_UP_RETRY_MS)
  }

  /** This peer (if it was a voter of the set, its own disk holds what it acked) plus the peers pulled make a majority. */
  private majorityRead(set: readonly string[]): boolean {
    const read = set.filter(p => p === this.deps.self || this.pulled.has(p)).length
    return read >= Math.floor(set.length / 2) + 1
  }

  private async pullAll(peer: string, epoch: number): Promise<void> {
    let after: string | undefined
    for (;;) {
      if (this.stopped || epoch !== this.epoch) return
      const body: StateListBody = after === undefined ? { v: WIRE_VERSION } : { v: WIRE_VERSION, after }
      const reply = await this.deps.messenger.request(peer, CHANNEL_STATE_LIST, body, { timeoutMs: CATCH_UP_REQUEST_TIMEOUT_MS })
      const page = parseStateListReply(reply, this.deps.stateBytesMax)
      for (const [address, record] of page.items) await this.deps.store.put(address, record)
      if (!page.more || page.items.length === 0) return
      after = (page.items[page.items.length - 1] as [string, unknown])[0]
    }
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every(x => b.includes(x))
}
