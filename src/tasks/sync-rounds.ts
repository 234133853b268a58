// When a peer syncs its task records with the others (sync.ts does one
// exchange): with one random member every syncIntervalMs; with every member
// at start, once more syncSettleMs after start (the start-up round compares
// settled records only, so what the others wrote just before this peer was
// reachable shows in the second), and whenever partitions arrive. Partitions
// acquired close together share one round (debounced); the runner holds
// their tasks back until that round has ended, or handoverSyncMs if a peer
// is slow to answer, so a task their old holder has just finished does not
// run again. An exchange that fails is tried again with that peer soon
// (SYNC_RETRY_MS, doubling), rather than left to the random round.
import type { TimerHandle, Timers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Random } from '../util/random.js'
import type { Background } from './background.js'
import type { SyncResult } from './sync.js'

/** Partitions granted one by one (a lease protocol warming up) share one sync round. */
export const SYNC_ALL_DEBOUNCE_MS = 10

/**
 * A failed exchange with a peer (it timed out, the link was down) is tried again this much later, doubling on each
 * failure up to syncIntervalMs, while the peer is a member: the random round might not pick that peer for many
 * intervals, and a restarted or overloaded peer would wait that long for the records it missed.
 */
export const SYNC_RETRY_MS = 500

export interface SyncRoundsDeps {
  self: string
  /** Live peer ids (may include self). */
  members: () => readonly string[]
  random: Random
  timers: Timers
  logger: Logger
  background: Background
  /** One exchange with `peer`; `fresh`: partitions compared as they are now (records written within the settle window included). */
  syncWith: (peer: string, options: { signal: AbortSignal, fresh: readonly number[] }) => Promise<SyncResult>
  /** The round the partitions waited for has ended (or timed out): their tasks may start. */
  release: (partitions: number[]) => void
  /** Aborts the exchanges under way when the service stops. */
  signal: AbortSignal
  syncIntervalMs: number
  syncSettleMs: number
  handoverSyncMs: number
}

export class SyncRounds {
  private readonly timers = new Map<'sync' | 'syncAll' | 'startSettled', TimerHandle>()
  /** Partitions acquired since the last round with every member began. */
  private readonly warming = new Set<number>()
  /** Peers whose last exchange failed: when it is tried again, and the wait before the next try after that. */
  private readonly retries = new Map<string, { handle: TimerHandle | undefined, nextMs: number }>()
  private running = false

  constructor(private readonly deps: SyncRoundsDeps) {}

  /** Starts the periodic rounds, a round with every member now and another once the start has settled. */
  start(): void {
    if (this.running) return
    this.running = true
    this.every()
    const { timers, syncSettleMs } = this.deps
    this.timers.set('startSettled', timers.setTimeout(() => {
      this.timers.delete('startSettled')
      if (this.running) for (const peer of this.others()) this.track(peer)
    }, syncSettleMs + SYNC_ALL_DEBOUNCE_MS))
    this.withAll()
  }

  /** No more rounds; exchanges under way end with the service's signal. */
  stop(): void {
    this.running = false
    for (const h of this.timers.values()) this.deps.timers.clearTimeout(h)
    this.timers.clear()
    for (const { handle } of this.retries.values()) if (handle !== undefined) this.deps.timers.clearTimeout(handle)
    this.retries.clear()
  }

  /** `partition` was acquired: it joins the next round with every member, which the runner waits for. */
  acquired(partition: number): void {
    this.warming.add(partition)
    this.withAll()
  }

  /** Syncs with `peer` soon: it has just joined or come back, and either side may have missed records. */
  catchUp(peer: string): void {
    if (this.running && peer !== this.deps.self) this.track(peer)
  }

  private others(): string[] {
    return this.deps.members().filter(p => p !== this.deps.self)
  }

  /** One random member every syncIntervalMs. */
  private every(): void {
    this.timers.set('sync', this.deps.timers.setTimeout(() => {
      if (!this.running) return
      const others = this.others()
      const peer = others[Math.floor(this.deps.random.next() * others.length)]
      if (peer !== undefined) this.track(peer)
      this.every()
    }, this.deps.syncIntervalMs))
  }

  /** A round with every member soon (debounced); the partitions acquired meanwhile are released when it ends. */
  private withAll(): void {
    if (this.timers.has('syncAll') || !this.running) return
    const { timers, background, release, handoverSyncMs } = this.deps
    this.timers.set('syncAll', timers.setTimeout(() => {
      this.timers.delete('syncAll')
      const partitions = [...this.warming]
      this.warming.clear()
      const fallback = timers.setTimeout(() => release(partitions), handoverSyncMs)
      const round = this.others().map(peer => this.once(peer, partitions))
      background.track(Promise.allSettled(round).then(() => {
        timers.clearTimeout(fallback)
        release(partitions)
      }))
    }, SYNC_ALL_DEBOUNCE_MS))
  }

  private track(peer: string): void {
    this.deps.background.track(this.once(peer))
  }

  /** One exchange; a failure is logged and the exchange tried again (SYNC_RETRY_MS, doubling). */
  private async once(peer: string, fresh: readonly number[] = []): Promise<void> {
    try {
      const r = await this.deps.syncWith(peer, { signal: this.deps.signal, fresh })
      if (r.pulled > 0 || r.pushed > 0) this.deps.logger.debug('synced', { peer, ...r })
      this.settled(peer)
    } catch (err) {
      this.deps.logger.debug('sync failed; retrying', { peer, err: (err as Error).message })
      this.retry(peer)
    }
  }

  /** The exchange with `peer` worked: no retry pending, and the next failure starts from SYNC_RETRY_MS again. */
  private settled(peer: string): void {
    const r = this.retries.get(peer)
    if (r === undefined) return
    if (r.handle !== undefined) this.deps.timers.clearTimeout(r.handle)
    this.retries.delete(peer)
  }

  /** Tries `peer` again later, unless a retry is already due (another exchange that fails meanwhile adds none). */
  private retry(peer: string): void {
    if (!this.running || this.deps.signal.aborted) return
    const last = this.retries.get(peer)
    if (last?.handle !== undefined) return
    const waitMs = last?.nextMs ?? SYNC_RETRY_MS
    const entry: { handle: TimerHandle | undefined, nextMs: number } = { handle: undefined, nextMs: Math.min(this.deps.syncIntervalMs, waitMs * 2) }
    entry.handle = this.deps.timers.setTimeout(() => {
      entry.handle = undefined
      if (this.running && this.others().includes(peer)) this.track(peer)
      else this.retries.delete(peer)
    }, waitMs)
    this.retries.set(peer, entry)
  }
}
