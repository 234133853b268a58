// The simulated network: per-message delay with a heavy tail, loss,
// duplication, reordering (from random delays), and directed link blocks
// for symmetric or asymmetric partitions. Every message is msgpack-encoded
// on send and decoded on delivery, as on the real wire.

import { Packr } from 'msgpackr'
import type { Random } from '../../../src/util/random.js'

export interface NetKnobs {
  loss: number
  dup: number
  delayMinMs: number
  delayMeanMs: number
  /** Probability that a message takes the slow path, uniform in [0, tailMaxMs] extra. */
  tailProb: number
  tailMaxMs: number
}

export const calmNet: NetKnobs = { loss: 0, dup: 0, delayMinMs: 1, delayMeanMs: 2, tailProb: 0, tailMaxMs: 0 }

const packr = new Packr({ useRecords: false })

export class SimNetwork {
  knobs: NetKnobs
  private blocked = new Set<string>()
  /** Test hook: return false to drop a message (directed scenarios). */
  filter: (from: string, to: string, body: unknown) => boolean = () => true
  /** Test hook: extra delay for a message (directed scenarios). */
  extraDelay: (from: string, to: string, body: unknown) => number = () => 0
  sent = 0
  bytes = 0

  constructor(private readonly rng: Random, knobs: NetKnobs) {
    this.knobs = { ...knobs }
  }

  block(from: string, to: string): void {
    this.blocked.add(`${from}>${to}`)
  }

  isBlocked(from: string, to: string): boolean {
    return this.blocked.has(`${from}>${to}`)
  }

  healAll(): void {
    this.blocked.clear()
  }

  delay(): number {
    const k = this.knobs
    let d = k.delayMinMs - Math.log(1 - this.rng.next()) * k.delayMeanMs
    if (this.rng.next() < k.tailProb) d += this.rng.next() * k.tailMaxMs
    return d
  }

  /** The delays (one per copy) at which `body` arrives, or none if it is lost. Returns the encoded bytes to decode on arrival. */
  route(from: string, to: string, body: unknown): { delays: number[], bytes: Uint8Array } | undefined {
    if (this.isBlocked(from, to) || !this.filter(from, to, body)) return undefined
    if (this.rng.next() < this.knobs.loss) return undefined
    const bytes = packr.pack(body)
    this.sent++
    this.bytes += bytes.length
    const extra = this.extraDelay(from, to, body)
    const delays = [this.delay() + extra]
    if (this.rng.next() < this.knobs.dup) delays.push(this.delay() + extra)
    return { delays, bytes }
  }

  decode(bytes: Uint8Array): unknown {
    return packr.unpack(bytes)
  }
}
