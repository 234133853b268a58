// Joining through seeds: dial each seed until one answers a membership
// exchange; after that, gossip finds everyone else. Runs in the background,
// with backoff, so a peer can start before its seeds do.
//
// Then the seeds are watched: a seed that is not a live member of this peer's
// view is dialled again every SEED_WATCH_MS. Without it, peers that start at
// once (a whole cluster restarted) can join in islands, each through the first
// seed that answered, and stay apart for good: gossip spreads only within an
// island, and a member known from before the restart has no address to dial.

import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../util/logger.js'
import type { TroupeNode } from '../net/node.js'

export interface SeedJoinerComponents {
  node: TroupeNode
  logger: Logger
  /** Exchanges membership with a newly connected peer. */
  contact(peerId: string): Promise<void>
  /** True once the view knows another live member: the first join is over. */
  joined(): boolean
  /** Is this member alive in the view? (A seed that is needs no dial.) */
  alive(peerId: string): boolean
}

export const SEED_RETRY_MIN_MS = 250
export const SEED_RETRY_MAX_MS = 5_000
export const SEED_DIAL_TIMEOUT_MS = 5_000
/** After the first join, seeds that are not live members are dialled again this often (islands merge within about this). */
export const SEED_WATCH_MS = 5_000

export class SeedJoiner {
  private readonly c: SeedJoinerComponents
  private readonly seeds: string[]
  private readonly controller = new AbortController()
  private loop: Promise<void> | undefined
  /** The peer behind each seed, once known (from its /p2p/ part or a dial). */
  private readonly peerOf = new Map<string, string>()

  constructor(components: SeedJoinerComponents, seeds: string[]) {
    this.c = components
    this.seeds = seeds
    for (const seed of seeds) {
      const id = peerIdIn(seed)
      if (id !== undefined) this.peerOf.set(seed, id)
    }
  }

  start(): void {
    if (this.seeds.length === 0 || this.loop !== undefined) return
    this.loop = this.run().catch((err: unknown) => {
      this.c.logger.error('seed joining stopped', { err: (err as Error).message })
    })
  }

  async stop(): Promise<void> {
    this.controller.abort()
    await this.loop
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal
    let delayMs = SEED_RETRY_MIN_MS
    let attempt = 0
    join: while (!signal.aborted && !this.c.joined()) {
      attempt++
      for (const seed of this.seeds) {
        if (signal.aborted) return
        if (await this.trySeed(seed, signal)) {
          this.c.logger.info('joined the cluster through a seed', { seed, peer: this.peerOf.get(seed) })
          break join
        }
      }
      if (attempt === 1 || attempt % 5 === 0) {
        this.c.logger.info('waiting for a seed to answer', { seeds: this.seeds, attempt, retryInMs: delayMs })
      }
      await sleep(delayMs, signal)
      delayMs = Math.min(delayMs * 2, SEED_RETRY_MAX_MS)
    }
    while (!signal.aborted) {
      await sleep(SEED_WATCH_MS, signal)
      await Promise.all(this.seeds.filter(seed => this.missing(seed)).map(async (seed) => {
        if (await this.trySeed(seed, signal)) this.c.logger.info('reached a seed that was not a live member (joined its side of the cluster)', { seed, peer: this.peerOf.get(seed) })
      }))
    }
  }

  /** A seed to dial again: not this peer, and not known to be a live member. */
  private missing(seed: string): boolean {
    const id = this.peerOf.get(seed)
    return id === undefined || (id !== this.c.node.peerId.toString() && !this.c.alive(id))
  }

  private async trySeed(seed: string, signal: AbortSignal): Promise<boolean> {
    try {
      const timeout = AbortSignal.timeout(SEED_DIAL_TIMEOUT_MS)
      const connection = await this.c.node.dial(multiaddr(seed), { signal: AbortSignal.any([signal, timeout]) })
      const peerId = connection.remotePeer.toString()
      this.peerOf.set(seed, peerId)
      if (peerId === this.c.node.peerId.toString()) return false
      await this.c.contact(peerId)
      return true
    } catch (err) {
      this.c.logger.debug('seed did not answer', { seed, err: (err as Error).message })
      return false
    }
  }
}

/** `seeds` without those whose /p2p/ part names `self`. */
export function otherSeeds(seeds: readonly string[], self: string): string[] {
  return seeds.filter(seed => peerIdIn(seed) !== self)
}

/** The peer ids the seeds name in their /p2p/ parts (a seed without one names none). */
export function seedPeerIds(seeds: readonly string[]): string[] {
  return seeds.map(peerIdIn).filter((id): id is string => id !== undefined)
}

/** The peer id in a seed's /p2p/ part, if it has one. */
function peerIdIn(seed: string): string | undefined {
  try {
    return multiaddr(seed).getPeerId() ?? undefined
  } catch {
    return undefined
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
