// A member record, as gossiped between peers. Every field from the wire is
// checked here; a record that fails is dropped with a reason.

import {
  ADDR_CHARS_MAX, ADDRS_MAX, HOSTED_NAMES_MAX, PEER_ID_CHARS_MAX,
} from './constants.js'

export interface Hosted {
  actors: string[]
  tasks: string[]
}

export interface MemberRecord {
  /** libp2p peer id. */
  id: string
  /** Start number: grows with every start of the member (persisted in its data folder). */
  incarnation: number
  /** Grows while the member lives; progress is what proves it alive. */
  heartbeat: number
  /** `alive`, or `left` once it stopped gracefully. */
  status: 'alive' | 'left'
  addrs: string[]
  httpUrl: string | null
  hosts: Hosted
  version: string
  /**
   * The member's lease config number (0: in no cluster yet). Absent from peers of versions before it; founding a
   * cluster from a shared seed list waits for every peer it names to say 0 (src/peer/founding.ts).
   */
  cfg?: number
}

/** Orders two records of the same member: later incarnation, then higher heartbeat, then `left` over `alive`. */
export function compareRecords(a: MemberRecord, b: MemberRecord): number {
  if (a.incarnation !== b.incarnation) return a.incarnation - b.incarnation
  if (a.heartbeat !== b.heartbeat) return a.heartbeat - b.heartbeat
  if (a.status === b.status) return 0
  return a.status === 'left' ? 1 : -1
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isShortString = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max

function stringList(v: unknown, maxItems: number, maxChars: number): string[] | string {
  if (!Array.isArray(v)) return 'not a list'
  if (v.length > maxItems) return `more than ${maxItems} items`
  for (const item of v) if (!isShortString(item, maxChars)) return 'an item is not a short string'
  return v as string[]
}

/** Returns the record, or a reason it was refused. */
export function parseRecord(v: unknown): MemberRecord | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'record is not an object'
  const r = v as Record<string, unknown>
  if (!isShortString(r.id, PEER_ID_CHARS_MAX)) return 'id is not a peer id'
  if (!isCount(r.incarnation)) return 'incarnation is not a count'
  if (!isCount(r.heartbeat)) return 'heartbeat is not a count'
  if (r.status !== 'alive' && r.status !== 'left') return 'status is not alive or left'
  const addrs = stringList(r.addrs, ADDRS_MAX, ADDR_CHARS_MAX)
  if (typeof addrs === 'string') return `addrs: ${addrs}`
  if (r.httpUrl !== null && !isShortString(r.httpUrl, ADDR_CHARS_MAX)) return 'httpUrl is not a short string'
  if (typeof r.hosts !== 'object' || r.hosts === null) return 'hosts is not an object'
  const h = r.hosts as Record<string, unknown>
  const actors = stringList(h.actors, HOSTED_NAMES_MAX, 256)
  if (typeof actors === 'string') return `hosts.actors: ${actors}`
  const tasks = stringList(h.tasks, HOSTED_NAMES_MAX, 256)
  if (typeof tasks === 'string') return `hosts.tasks: ${tasks}`
  if (typeof r.version !== 'string' || r.version.length > 64) return 'version is not a short string'
  if (r.cfg !== undefined && !isCount(r.cfg)) return 'cfg is not a count'
  const record: MemberRecord = {
    id: r.id, incarnation: r.incarnation, heartbeat: r.heartbeat, status: r.status,
    addrs, httpUrl: r.httpUrl, hosts: { actors, tasks }, version: r.version,
  }
  if (r.cfg !== undefined) record.cfg = r.cfg
  return record
}
