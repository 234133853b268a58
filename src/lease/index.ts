// Public API of the lease protocol: a pure state machine per node, its
// events and effects, the wire messages with their validation, and the
// helpers a shell and an application need (partitioning, fences).

export { LeaseNode, type LeaseNodeInit, type Holding } from './node.js'
export type { Effect, LeaseEvent, LossReason, PersistedState, UnsafeKnobs, UnsafeName } from './types.js'
export { UNSAFE_NAMES } from './types.js'
export type { Message, LeaseMessage, ConfigMessage, VoteResult, Refusal } from './messages.js'
export { channelOf } from './messages.js'
export { decodeMessage, validateMessage, type Validation } from './validate.js'
export { resolveLeaseParams, defaultLeaseParams, holderValidMs, restartWaitMs, type LeaseParams, type DerivedParams } from './params.js'
export { partitionOf, hrwRank, hrwIndex, hrwTop, hrwScore, fnv1a32 } from './hash.js'
export { Placement, placementOf, PLACEMENTS_KEPT } from './balance.js'
export { compareBallots, compareFences, makeFence, parseFence, type Ballot, type Fence } from './ballot.js'
export { desiredVoters, type VoterInputs } from './voters.js'
export { majority } from './io.js'
export { LeaseLostError, LeaseMessageError } from './errors.js'
export { LeaseInvariantError } from './assert.js'
export { LEASE_CHANNEL, LEASE_CONFIG_CHANNEL, LEAVE_GRACE_MS, LEASE_WIRE_VERSION } from './constants.js'

import type { Effect, LeaseEvent } from './types.js'
import type { LeaseNode } from './node.js'

/** Functional form of LeaseNode.step, for shells that prefer `step(state, event, now) -> effects`. */
export function step(node: LeaseNode, event: LeaseEvent, now: number): Effect[] {
  return node.step(event, now)
}
