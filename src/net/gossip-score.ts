// Gossipsub peer scoring for the topics Troupe uses. Our topic validators
// (src/tasks/gossip-in.ts) reject garbage and invalid records; each reject
// counts as an invalid delivery (P4), whose penalty grows with the square of
// the count, so a peer that keeps sending them falls under the graylist
// threshold and everything it sends is dropped unread until the count decays.
// Components that would punish an honest but quiet cluster are off (see below).
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@chainsafe/libp2p-gossipsub/score'
import { TASKS_TOPIC } from '../tasks/constants.js'

/** Topics scored: each carries messages our validators judge. */
export const SCORED_TOPICS: readonly string[] = [TASKS_TOPIC]

/**
 * Weight of the squared count of invalid messages: 1 reject scores -10, 2
 * score -40 (under the gossip threshold: no more IHAVE gossip to the sender),
 * 3 score -90 (graylisted).
 */
export const INVALID_MESSAGE_WEIGHT = -10

/** Per `decayIntervalMs` (1 s): the count of invalid messages halves in about 23 s and is forgotten after about a minute and a half. */
export const INVALID_MESSAGE_DECAY = 0.97

/** gossipsub's defaults, stated: below -10 no gossip is sent to a peer, below -50 nothing is published to it, below -80 all it sends is ignored. */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 20,
}

const TOPIC: TopicScoreParams = {
  topicWeight: 1,
  // Small rewards for time in the mesh and first deliveries, capped by topicScoreCap: a misbehaving peer cannot bank enough to hide its penalties.
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 100,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 20,
  // Off: task gossip is bursty and a quiet cluster sends nothing for hours; a delivery quota would penalise every honest peer.
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
  invalidMessageDeliveriesDecay: INVALID_MESSAGE_DECAY,
}

export function scoreParams(): Partial<PeerScoreParams> {
  return {
    topics: Object.fromEntries(SCORED_TOPICS.map(t => [t, { ...TOPIC }])),
    topicScoreCap: 10,
    // Off: peers of one cluster often share an address (one host, containers behind one NAT, tests on 127.0.0.1).
    IPColocationFactorWeight: 0,
    decayInterval: 1_000,
    decayToZero: 0.1,
    // A peer that disconnects keeps its score this long: reconnecting does not wash a penalty away.
    retainScore: 60 * 60 * 1_000,
  }
}
