// The Init the actor system accepts: every field optional, defaults from
// constants.ts, relations checked once, at construction.
import { ConfigError } from '../errors.js'
import { FRAME_BYTES_MAX } from '../wire/constants.js'
import {
  APPLIED_ENTRY_BYTES_MAX, APPLIED_IDS_LIMIT, APPLIED_IDS_MAX, ASK_TIMEOUT_MS, ENVELOPE_BYTES_OVERHEAD, IDLE_MS, MAILBOX_MAX, MAILBOX_MAX_LIMIT, MESSAGE_BYTES_MAX, REPLICATE_TIMEOUT_MS, RETRY_BACKOFF_MAX_MS,
  RETRY_BACKOFF_MS, STATE_BYTES_MAX, STATE_FETCH_TIMEOUT_MS, STATE_REPLICAS,
} from './constants.js'
import type { ActorDefinition } from './define.js'

export interface ActorSystemInit {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions of any state type share one list
  actors: ReadonlyArray<ActorDefinition<any>>
  /** Default deadline of ask, and of routing a tell to its host. Default 10 000. */
  askTimeoutMs?: number
  /** Default idle time before deactivation, for definitions without their own. Default 60 000. */
  idleMs?: number
  /** Default mailbox bound, for definitions without their own. Default 1 000. */
  mailboxMax?: number
  /** Largest encoded message. Default 1 MiB. */
  messageBytesMax?: number
  /** Largest encoded state. Default 1 MiB. */
  stateBytesMax?: number
  /** Peers that keep a copy of each saved state (0 = local disk only). Default 2. */
  stateReplicas?: number
  /** How long a save waits for replica acks. Default 2 000. */
  replicateTimeoutMs?: number
  /** How long an activation waits for the replicas' copies of the state. Default 500. */
  stateFetchTimeoutMs?: number
  /** First pause before re-sending to a moving actor. Default 5. */
  retryBackoffMs?: number
  /** Longest pause between re-sends. Default 250. */
  retryBackoffMaxMs?: number
  /** Answered message ids remembered per actor, so messages re-sent after a lost reply apply once; 0 turns re-send recognition off entirely (at least once). Default 16. */
  appliedIdsMax?: number
}

export type ActorLimits = Required<Omit<ActorSystemInit, 'actors'>>

export function resolveActorLimits(init: ActorSystemInit): ActorLimits {
  const limits: ActorLimits = {
    askTimeoutMs: init.askTimeoutMs ?? ASK_TIMEOUT_MS,
    idleMs: init.idleMs ?? IDLE_MS,
    mailboxMax: init.mailboxMax ?? MAILBOX_MAX,
    messageBytesMax: init.messageBytesMax ?? MESSAGE_BYTES_MAX,
    stateBytesMax: init.stateBytesMax ?? STATE_BYTES_MAX,
    stateReplicas: init.stateReplicas ?? STATE_REPLICAS,
    replicateTimeoutMs: init.replicateTimeoutMs ?? REPLICATE_TIMEOUT_MS,
    stateFetchTimeoutMs: init.stateFetchTimeoutMs ?? STATE_FETCH_TIMEOUT_MS,
    retryBackoffMs: init.retryBackoffMs ?? RETRY_BACKOFF_MS,
    retryBackoffMaxMs: init.retryBackoffMaxMs ?? RETRY_BACKOFF_MAX_MS,
    appliedIdsMax: init.appliedIdsMax ?? APPLIED_IDS_MAX,
  }
  for (const [name, value] of Object.entries(limits)) {
    const min = name === 'stateReplicas' || name === 'appliedIdsMax' ? 0 : 1
    if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`actors: ${name} must be an integer >= ${min}, got ${value}`)
  }
  checkRelations(limits)
  checkDefinitions(init.actors)
  return limits
}

function checkRelations(l: ActorLimits): void {
  const room = FRAME_BYTES_MAX - ENVELOPE_BYTES_OVERHEAD
  if (l.messageBytesMax > room) throw new ConfigError(`actors: messageBytesMax (${l.messageBytesMax}) must leave room in a wire frame: at most ${room}`)
  if (l.appliedIdsMax > APPLIED_IDS_LIMIT) throw new ConfigError(`actors: appliedIdsMax must be at most ${APPLIED_IDS_LIMIT}, got ${l.appliedIdsMax}`)
  const applied = APPLIED_IDS_LIMIT * APPLIED_ENTRY_BYTES_MAX
  if (l.stateBytesMax + applied > room) throw new ConfigError(`actors: stateBytesMax (${l.stateBytesMax}) must fit one wire frame with the applied ids (${applied} bytes at most): at most ${room - applied}`)
  if (l.mailboxMax > MAILBOX_MAX_LIMIT) throw new ConfigError(`actors: mailboxMax must be at most ${MAILBOX_MAX_LIMIT}, got ${l.mailboxMax}`)
  if (l.retryBackoffMs > l.retryBackoffMaxMs) throw new ConfigError(`actors: retryBackoffMs (${l.retryBackoffMs}) must not exceed retryBackoffMaxMs (${l.retryBackoffMaxMs})`)
  // An ask waits for the activation (state fetch) and for the replica acks; each must fit well inside its deadline.
  if (l.stateFetchTimeoutMs * 2 > l.askTimeoutMs) throw new ConfigError(`actors: stateFetchTimeoutMs x 2 (${l.stateFetchTimeoutMs * 2}) must not exceed askTimeoutMs (${l.askTimeoutMs})`)
  if (l.replicateTimeoutMs * 2 > l.askTimeoutMs) throw new ConfigError(`actors: replicateTimeoutMs x 2 (${l.replicateTimeoutMs * 2}) must not exceed askTimeoutMs (${l.askTimeoutMs})`)
  if (l.retryBackoffMaxMs * 2 > l.askTimeoutMs) throw new ConfigError(`actors: retryBackoffMaxMs x 2 (${l.retryBackoffMaxMs * 2}) must not exceed askTimeoutMs (${l.askTimeoutMs})`)
}

function checkDefinitions(defs: ActorSystemInit['actors']): void {
  if (!Array.isArray(defs)) throw new ConfigError('actors: `actors` must be an array of defineActor() results')
  const seen = new Set<string>()
  for (const def of defs) {
    if (seen.has(def.type)) throw new ConfigError(`actors: actor type ${def.type} is defined twice`)
    seen.add(def.type)
  }
}
