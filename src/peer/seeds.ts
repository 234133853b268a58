// Joining through seeds: dial each seed until one answers a membership
// exchange; after that, gossip finds everyone else. Runs in the background,
// with backoff, so a peer can start before its seeds do.

import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../util/logger.js'
import type { TroupeNode } from '../net/node.js'

export interface SeedJoinerComponents {
  node: TroupeNode
  logger: Logger
  /** Exchanges membership with a newly connected peer. */
  contact(peerId: string): Promise<void>
  /** True once the view knows another live member: seeds are then no longer needed. */
  joined(): boolean
}

export const SEED_RETRY_MIN_MS = 250
export const SEED_RETRY_MAX_MS = 5_000
export const SEED_DIAL_TIMEOUT_MS = 5_000

export class SeedJoiner {
  private readonly c: SeedJoinerComponents
  private readonly seeds: string[]
  private readonly controller = new AbortController()
  private loop: Promise<void> | undefined

  constructor(components: SeedJoinerComponents, seeds: string[]) {
    this.c = components
    this.seeds = seeds
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
    while (!signal.aborted && !this.c.joined()) {
      attempt++
      for (const seed of this.seeds) {
        if (signal.aborted) return
        if (await this.trySeed(seed, signal)) return
      }
      if (attempt === 1 || attempt % 5 === 0) {
        this.c.logger.info('waiting for a seed to answer', { seeds: this.seeds, attempt, retryInMs: delayMs })
      }
      await sleep(delayMs, signal)
      delayMs = Math.min(delayMs * 2, SEED_RETRY_MAX_MS)
    }
  }

  private async trySeed(seed: string, signal: AbortSignal): Promise<boolean> {
    try {
      const timeout = AbortSignal.timeout(SEED_DIAL_TIMEOUT_MS)
      const connection = await this.c.node.dial(multiaddr(seed), { signal: AbortSignal.any([signal, timeout]) })
      const peerId = connection.remotePeer.toString()
      if (peerId === this.c.node.peerId.toString()) return false
      await this.c.contact(peerId)
      this.c.logger.info('joined the cluster through a seed', { seed, peer: peerId })
      return true
    } catch (err) {
      this.c.logger.debug('seed did not answer', { seed, err: (err as Error).message })
      return false
    }
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
