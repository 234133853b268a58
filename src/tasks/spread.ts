// How this peer's changed records reach every other peer, besides the replica
// puts: by direct push to every live member (N - 1 one-way sends on the
// messenger's long-lived links), by gossip, or both. Gossip is never the only
// path, a push that cannot be sent falls back to gossip, and sync repairs
// what both lose. Queueing, riding and deferring gossip is GossipOut's
// (gossip.ts); this part decides which way a record goes.
import type { Background } from './background.js'
import type { GossipOut } from './gossip.js'
import { pushToMembers, type PushDeps } from './push.js'
import type { TaskRecord } from './record.js'

export class Spread {
  constructor(private readonly gossip: GossipOut, private readonly push: PushDeps, private readonly background: Background, private readonly signal: AbortSignal) {}

  /**
   * A finished "any" record (or one to retry). At a light load it would be a gossip message of its own, which the
   * author signs and every other peer checks for one record: it goes by direct push instead, riding along with
   * gossip. Records that come faster than the coalescing window share gossip messages.
   */
  outcome(r: TaskRecord): void {
    if (!this.gossip.alone()) {
      this.gossip.push([r])
      return
    }
    this.gossip.ride([r])
    this.toMembers([r])
  }

  /**
   * Sends records straight to every member, one way. If a send fails (the member cannot be reached now), the records
   * are gossiped too, lazily; a push lost after it was queued is repaired by gossip only when the records ride along,
   * else by sync.
   */
  toMembers(records: TaskRecord[]): void {
    this.background.track(pushToMembers(this.push, records, this.signal).then((all) => {
      if (!all) this.gossip.push(records, true)
    }))
  }
}
