// Direct push of new "all" tasks (and of control changes, and of "any"
// tasks finished at a light load): one one-way `tasks/push` message to every
// live member, on the messenger's long-lived links (N - 1 sends, one hop).
// Gossipsub alone reaches a peer outside the publisher's mesh only through
// forwarding, so an "all" task took seconds to reach the last of 10 peers
// (docs/performance.md). Best effort: a lost push costs only latency, because
// sync carries the same record (repair), and gossip too when a send failed.
import type { Logger } from '../util/logger.js'
import type { Messenger } from '../wire/messenger.js'
import { checkRecords } from './codec.js'
import { compactRecords, type CompactRecords } from './compact.js'
import { CHANNEL_PUSH, WIRE_VERSION } from './constants.js'
import type { TaskRecord } from './record.js'

export interface PushBody extends CompactRecords {
  v: number
  /** Sent to every live member (pushToMembers), not to one peer: it covers the receiver's own copies waiting to be gossiped. */
  all?: true
}

export interface PushDeps {
  messenger: Messenger
  logger: Logger
  self: string
  /** Live peer ids (a hint; may include self). */
  members: () => readonly string[]
  partitions: number
}

/** Sends `records` to every live member but self; resolves true if every send was queued (never rejects: failures are logged). */
export async function pushToMembers(deps: PushDeps, records: readonly TaskRecord[], signal: AbortSignal): Promise<boolean> {
  const body: PushBody = { v: WIRE_VERSION, ...compactRecords(records), all: true }
  const sends: Array<Promise<boolean>> = []
  for (const peer of deps.members()) {
    if (peer === deps.self) continue
    sends.push(deps.messenger.send(peer, CHANNEL_PUSH, body, { signal }).then(() => true, (err: unknown) => {
      deps.logger.debug('direct push failed; gossip and sync will carry it', { peer, records: records.length, err: (err as Error).message })
      return false
    }))
  }
  return (await Promise.all(sends)).every(Boolean)
}

/**
 * Registers the receiving side: valid records of our wire version go to `merge`, with whether they were pushed to
 * every member; the rest is dropped and logged.
 */
export function servePush(deps: PushDeps, merge: (records: TaskRecord[], from: string, all: boolean) => void): () => void {
  deps.messenger.on(CHANNEL_PUSH, (from, body) => {
    const { v, all } = (body ?? {}) as Partial<PushBody>
    if (v !== WIRE_VERSION) {
      deps.logger.debug('ignored a push of another wire version', { from, v })
      return
    }
    const { records, dropped } = checkRecords(body, deps.partitions)
    if (dropped > 0) deps.logger.warn('dropped malformed records from a push', { from, dropped })
    if (records.length > 0) merge(records, from, all === true)
  })
  return () => { deps.messenger.unhandle(CHANNEL_PUSH) }
}
