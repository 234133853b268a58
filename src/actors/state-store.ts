// Saved actor state in the embedded store: one record per address, written
// only if it is newer than the stored one, so a late replica copy or a stale
// holder can never overwrite a newer state. "Newer" is the later tenure
// first (fence order), then the higher version: once a new holder has saved,
// writes still arriving from the previous holder's tenure lose, whatever
// their version. The same table holds this peer's own actors and the copies
// it keeps for others.
import type { Database } from 'lmdb'
import type { StateRecord } from './wire.js'

/** Orders fencing tokens of one partition: negative if `a` is from an earlier tenure. */
export type FenceOrder = (a: string, b: string) => number

/** The lease layer's fences compare as strings. */
export const stringFenceOrder: FenceOrder = (a, b) => (a < b ? -1 : a > b ? 1 : 0)

export function compareRecords(order: FenceOrder, a: StateRecord, b: StateRecord): number {
  return order(a.f, b.f) || a.v - b.v
}

/** The newest of several copies, or undefined. */
export function newest(order: FenceOrder, records: Array<StateRecord | undefined>): StateRecord | undefined {
  let best: StateRecord | undefined
  for (const r of records) if (r !== undefined && (best === undefined || compareRecords(order, r, best) > 0)) best = r
  return best
}

export class StateStore {
  constructor(private readonly db: Database<StateRecord, string>, readonly order: FenceOrder) {}

  get(address: string): StateRecord | undefined {
    return this.db.get(address)
  }

  /** Saved states in address order after `after`: at most `max` of them, and no more once `bytesMax` of state is reached. */
  page(after: string | undefined, max: number, bytesMax: number): { items: Array<[string, StateRecord]>, more: boolean } {
    const items: Array<[string, StateRecord]> = []
    let bytes = 0
    for (const { key, value } of this.db.getRange(after === undefined ? {} : { start: after })) {
      if (key === after) continue
      if (items.length >= max || (items.length > 0 && bytes >= bytesMax)) return { items, more: true }
      items.push([key, value])
      bytes += value.s.byteLength
    }
    return { items, more: false }
  }

  /** Resolves once committed: true if written, false if the stored record was as new or newer. */
  put(address: string, record: StateRecord): Promise<boolean> {
    return this.db.transaction(() => {
      const current = this.db.get(address)
      if (current !== undefined && compareRecords(this.order, current, record) >= 0) return false
      void this.db.put(address, record)
      return true
    })
  }
}
