// Inbound gossip: judges each message before any record of it is merged.
// Garbage and invalid records are rejected (gossipsub lowers the sender's
// score, and a peer that keeps sending them is graylisted); a body of another
// wire version, or one from a peer that is not a live member, is ignored
// (dropped and not forwarded, with no penalty: a peer that has just joined may
// publish before our member view has it, and its records still arrive by sync).
import { unpack } from 'msgpackr'
import { checkRecords } from './codec.js'
import { WIRE_VERSION } from './constants.js'
import type { Logger } from '../util/logger.js'
import type { GossipDropReason, TaskMeter } from './meter.js'
import type { TaskRecord } from './record.js'

export type GossipVerdict = 'accept' | 'ignore' | 'reject'

export type Judged =
  | { verdict: 'accept', records: TaskRecord[] }
  | { verdict: 'ignore' | 'reject', reason: GossipDropReason }

export interface JudgeContext {
  partitions: number
  /** Live members (self included), read once per message. */
  members: () => readonly string[]
}

/** `author` signed the message (gossipsub's `from`); `via` is the peer that sent it to us (its propagation source). */
export function judgeGossip(data: Uint8Array, author: string, via: string, ctx: JudgeContext): Judged {
  let body: unknown
  try {
    body = unpack(data)
  } catch {
    return { verdict: 'reject', reason: 'malformed' }
  }
  if (typeof body !== 'object' || body === null) return { verdict: 'reject', reason: 'malformed' }
  const { v, peers, records: list } = body as Record<string, unknown>
  if (!Number.isInteger(v)) return { verdict: 'reject', reason: 'malformed' }
  if (v !== WIRE_VERSION) return { verdict: 'ignore', reason: 'version' }
  if (!Array.isArray(list) || !Array.isArray(peers)) return { verdict: 'reject', reason: 'malformed' }
  const { records, dropped } = checkRecords(body, ctx.partitions)
  if (dropped > 0) return { verdict: 'reject', reason: 'invalid-record' }
  const live = ctx.members()
  if (!live.includes(author) || !live.includes(via)) return { verdict: 'ignore', reason: 'not-member' }
  return { verdict: 'accept', records }
}

export interface GossipInDeps extends JudgeContext {
  meter: TaskMeter
  logger: Logger
  /** Merges accepted records into the store. */
  merge: (records: TaskRecord[]) => void
}

/**
 * The receiving side. On a bus with validation (gossipsub) `judge` runs first
 * and `receive` merges what it accepted, decoded once; on a bus without it
 * (the in-memory one) `receive` judges by shape alone.
 */
export class GossipIn {
  /** Records of messages judged acceptable, until their delivery (gossipsub hands the same bytes to both). */
  private readonly judged = new WeakMap<Uint8Array, TaskRecord[]>()

  constructor(private readonly deps: GossipInDeps) {}

  judge(data: Uint8Array, author: string, via: string): GossipVerdict {
    const j = judgeGossip(data, author, via, this.deps)
    if (j.verdict === 'accept') this.judged.set(data, j.records)
    else this.dropped(j, author, via)
    return j.verdict
  }

  receive(data: Uint8Array, from: string): void {
    let records = this.judged.get(data)
    if (records === undefined) {
      const j = judgeGossip(data, from, from, { partitions: this.deps.partitions, members: () => [from] })
      if (j.verdict !== 'accept') return this.dropped(j, from, from)
      records = j.records
    }
    this.judged.delete(data)
    this.deps.meter.gossip('in', data.length)
    if (records.length > 0) this.deps.merge(records)
  }

  private dropped(j: Exclude<Judged, { verdict: 'accept' }>, author: string, via: string): void {
    this.deps.meter.gossipDropped(j.verdict, j.reason)
    if (j.verdict === 'reject') this.deps.logger.warn('rejected a gossip message', { author, via, reason: j.reason })
    else this.deps.logger.debug('ignored a gossip message', { author, via, reason: j.reason })
  }
}
