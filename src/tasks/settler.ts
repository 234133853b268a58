// Who settles an "all" task. Every peer runs an "all" task on its own and
// sends its attempts of it to one peer, the settler, instead of to everyone;
// the settler merges them, settles the record once every live member is
// final, and sends the settled record (with every peer's attempts) to every
// member. An "all" task then costs O(n) messages and writes instead of each
// peer's outcome reaching, being merged and written by, every other peer.
// Pure: the settler is a function of the record and the member view.
import type { TaskRecord } from './record.js'

/**
 * The task's creator while it is a live member, else the live member with the smallest id. Peers whose views differ
 * may pick different settlers for a while; settling is deterministic (transitions.ts settleAll), so any peer that
 * holds every outcome settles the same record, and sync brings the outcomes together in the end.
 */
export function settlerOf(r: Pick<TaskRecord, 'creator'>, members: readonly string[], self: string): string {
  if (r.creator === self || members.includes(r.creator)) return r.creator
  let min = self
  for (const m of members) if (m < min) min = m
  return min
}

/** Whether `r` is an "all" record this peer, as its settler, spreads to every member: settled (done or failed), not deleted. */
export function isSettledAll(r: TaskRecord): boolean {
  return r.scope === 'all' && !r.deleted && (r.state === 'done' || r.state === 'failed')
}

/**
 * Whether `r` is a new "all" task or news of its attempts (a report to its settler, a settled record from there): its
 * merge here may commit late (the sender keeps its copy, sync repairs; a new task starts on receipt, before its
 * commit), unlike a cancel or a delete, which the runner acts on once committed.
 */
export function isAllNews(r: TaskRecord): boolean {
  return r.scope === 'all' && !r.deleted && r.state !== 'cancelled'
}
