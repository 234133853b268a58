// The node's in-memory state. One node plays every role: acceptor (when it
// is a voter), proposer/holder (as a worker) and config participant.

import type { Random } from '../util/random.js'
import type { Ballot, Fence } from './ballot.js'
import type { DerivedParams } from './params.js'
import type { Effect, UnsafeKnobs } from './types.js'

export interface Config {
  cfg: number
  voters: string[]
}

/** Acceptor memory for one partition (current config only). */
export interface AcceptorSlot {
  promised?: Ballot
  accepted?: { b: Ballot, expiresAt: number }
  /** Last Propose round accepted for `lastB`; kept after expiry/release so a late duplicate cannot revive a grant. */
  lastB?: Ballot
  lastSeq: number
}

export type Phase = 'idle' | 'preparing' | 'proposing' | 'holding'

/** Proposer/holder memory for one partition. */
export interface ProposerSlot {
  phase: Phase
  b?: Ballot
  fence?: Fence
  promises: Set<string>
  /** preparing/proposing: give the round up at this time. */
  deadline: number
  /** holding: trust the grant while now < validUntil. */
  validUntil: number
  /** holding: send the next renewal at this time. */
  renewAt: number
  /** holding: stop renewing (a rival promised higher, or the config sealed); let it lapse. */
  lapsing: boolean
  /** idle: do not try before this time. */
  retryAt: number
  /** Last time we saw evidence of another holder (busy answer) — drives the fallback delay. */
  ownerSeenAt: number
}

export interface ProposeRound {
  seq: number
  /** Local time read BEFORE the Propose left: the start of the validity the grant buys. */
  tSend: number
  entries: Map<number, number>
  acks: Map<number, Set<string>>
  /** Voters that refused a renewal entry of this round with `nack`, by partition. */
  nacks: Map<number, Set<string>>
  granted: Set<number>
  deadline: number
}

export interface View {
  aliveSince: Map<string, number>
  deadSince: Map<string, number>
  leaving: Set<string>
  changedAt: number
  /** When the set of peers announced as leaving last changed: a leave is taken out this long after, whatever else moves. */
  leavingChangedAt: number
}

export interface ConfigRound {
  b: Ballot
  phase: 'prepare' | 'accept'
  votes: Set<string>
  best?: { b: Ballot, voters: string[] }
  value?: string[]
  deadline: number
}

export interface NodeState {
  readonly id: string
  readonly params: DerivedParams
  readonly unsafe: UnsafeKnobs
  readonly random: Random
  booted: boolean
  config: Config
  /** Lease votes are refused ('wait') before this local time: restart wait and new-config wait. */
  readyAt: number
  floor: { cfg: number, n: number }
  /** Booted with an empty disk: set to the first config learned; we abstain from choosing its successor. */
  amnesic: boolean
  amnesicCfg?: number
  recovery?: { rid: number, floors: Map<string, number>, sentAt: number }
  acc: AcceptorSlot[]
  slots: ProposerSlot[]
  nSeen: number
  /** Rounds wait roundTimeoutMs times this (1 up to ROUND_SCALE_MAX): doubled when rounds time out, eased on each grant. */
  roundScale: number
  /** Ballot numbers reserved (persisted) for our own proposals: nSeen may grow to this without a write. */
  propReserved: number
  seq: number
  rounds: Map<number, ProposeRound>
  view: View
  leaving: boolean
  /** The local time of the tick we last asked the shell for. */
  wakeAt: number
  cPromised?: Ballot
  cAccepted?: { b: Ballot, voters: string[] }
  cSealedAt: number
  cRound?: ConfigRound
  cNSeen: number
  cRetryAt: number
}

/** Everything a handler needs: the state, the local time, and where effects go. */
export interface Ctx {
  s: NodeState
  now: number
  out: Effect[]
  /** Messages addressed to ourselves, handled after the current one (no I/O for self-votes). */
  loopback: Array<{ body: unknown }>
}

export function emptyAcceptorSlot(): AcceptorSlot {
  return { lastSeq: 0 }
}

export function idleSlot(now: number): ProposerSlot {
  return { phase: 'idle', promises: new Set(), deadline: 0, validUntil: 0, renewAt: 0, lapsing: false, retryAt: now, ownerSeenAt: now }
}
