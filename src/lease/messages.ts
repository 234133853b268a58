// Wire messages of the lease protocol: plain objects of numbers, strings
// and arrays, so msgpack carries them unchanged. Every message has the wire
// version `v`, its type `t`, and the sender's config number `cfg`. The
// sender's id is not in the body: the transport says who sent it.
// Durations are relative milliseconds, never timestamps: clocks are not shared.

import { LEASE_CHANNEL, LEASE_CONFIG_CHANNEL } from './constants.js'

export interface Header {
  v: number
  cfg: number
}

/** Lease phase 1 for many partitions, one ballot (n, sender) each. */
export interface PrepareMsg extends Header {
  t: 'prepare'
  es: Array<{ p: number, n: number }>
}

/** Why an acceptor refused a partition: a higher promise, an unexpired lease of someone else, its restart wait, or a sealed config. */
export type Refusal = 'nack' | 'busy' | 'wait' | 'sealed'

export interface VoteResult {
  p: number
  /** The ballot number this answers (the requester's). */
  n: number
  r: 'ok' | Refusal
  /** busy/wait: milliseconds until the refusal may lift. */
  ms?: number
  /** nack: the promised ballot that beat the request. */
  pn?: number
  pby?: string
}

export interface PromiseMsg extends Header {
  t: 'promise'
  rs: VoteResult[]
}

/** Lease phase 2 (acquire) and same-ballot renewal. `seq` grows per sender and marks the round. */
export interface ProposeMsg extends Header {
  t: 'propose'
  seq: number
  es: Array<{ p: number, n: number }>
}

export interface AcceptedMsg extends Header {
  t: 'accepted'
  seq: number
  rs: VoteResult[]
}

/** The holder gave these partitions up; acceptors forget the grant if the ballot matches. */
export interface ReleaseMsg extends Header {
  t: 'release'
  es: Array<{ p: number, n: number }>
}

/** "This is my configuration": the answer to a message with another cfg, and the decision of a config round. */
export interface ConfigMsg extends Header {
  t: 'config'
  voters: string[]
}

/** Config Paxos phase 1 for config cfg+1, among the voters of cfg. Ballot (n, sender). */
export interface CfgPrepareMsg extends Header {
  t: 'cfg-prepare'
  n: number
}

export interface CfgPromiseMsg extends Header {
  t: 'cfg-promise'
  n: number
  ok: boolean
  /** On refusal: the promised ballot. */
  pn?: number
  pby?: string
  /** An accepted value for cfg+1, if any. */
  an?: number
  aby?: string
  avoters?: string[]
}

export interface CfgAcceptMsg extends Header {
  t: 'cfg-accept'
  n: number
  voters: string[]
}

export interface CfgAcceptedMsg extends Header {
  t: 'cfg-accepted'
  n: number
  ok: boolean
  pn?: number
  pby?: string
}

/** Floor recovery after a disk loss: "what is your ballot floor for cfg?". */
export interface FloorQueryMsg extends Header {
  t: 'floor-query'
  rid: number
}

export interface FloorReplyMsg extends Header {
  t: 'floor-reply'
  rid: number
  floor: number
}

export type LeaseMessage = PrepareMsg | PromiseMsg | ProposeMsg | AcceptedMsg | ReleaseMsg
export type ConfigMessage = ConfigMsg | CfgPrepareMsg | CfgPromiseMsg | CfgAcceptMsg | CfgAcceptedMsg | FloorQueryMsg | FloorReplyMsg
export type Message = LeaseMessage | ConfigMessage

/** The channel each message type travels on. */
export function channelOf(msg: Message): string {
  switch (msg.t) {
    case 'prepare': case 'promise': case 'propose': case 'accepted': case 'release': return LEASE_CHANNEL
    default: return LEASE_CONFIG_CHANNEL
  }
}
