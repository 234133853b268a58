// Task records in lmdb, keyed [partition, id] so sync pages a partition in
// key order. Every write is a read-merge-write against the store's newest
// state, done at once on the event loop, so concurrent writers (gossip, sync,
// the runner, control calls) never lose each other's changes; the writes go
// to disk by group commit (commit.ts) and resolve once committed. The store
// also keeps in memory what sync reads (sync-index.ts), the records that may
// still run ("active", lifetime.ts) and the census (census.ts), all updated
// with the write they reflect.
import type { Database } from 'lmdb'
import { checksummedBytes, StoreCorruptError } from '../store/checksum.js'
import { assertWritable } from '../store/guard.js'
import { systemClock, systemTimers, type Timers } from '../util/clock.js'
import type { Store } from '../store/store.js'
import { Census, type StateCounts } from './census.js'
import { GroupCommit, type CommitMode } from './commit.js'
import { fromStored, storedLifetime } from './compact.js'
import { CompactWriter } from './compact-writer.js'
import { COLLECT_PAGE_RECORDS, LIST_SCAN_RECORDS } from './constants.js'
import type { Digest } from './digest.js'
import { mergeChange } from './merge.js'
import { isActive, isCollectable } from './lifetime.js'
import { SyncIndex } from './sync-index.js'
import type { TaskRecord, TaskState } from './record.js'

export const TASKS_DB = 'tasks'

export interface Change {
  before: TaskRecord | undefined
  after: TaskRecord | undefined
}

/** What the dashboard shows of the store: counts by state (tombstones apart), the records written last and failed last, newest first. */
export interface TaskOverview {
  counts: StateCounts
  total: number
  recent: TaskRecord[]
  failures: TaskRecord[]
}

export interface TaskQuery {
  state?: TaskState
  name?: string
  /** Include deleted records (tombstones). Default false. */
  deleted?: boolean
  limit?: number
}

/** What `listPage` found. */
export interface TaskList {
  tasks: TaskRecord[]
  /** The read stopped after LIST_SCAN_RECORDS stored records, before `limit` matched: more records may match. */
  truncated: boolean
}

/** The record of a stored value; a value of neither layout throws (its checksum matched: written by a bug, not the disk). */
function decodeStored(v: unknown): TaskRecord {
  const r = fromStored(v)
  if (r === undefined) throw new StoreCorruptError('a stored task record has neither the compact nor the plain layout')
  return r
}

function byCreation(a: TaskRecord, b: TaskRecord): number {
  return (a.createdAt - b.createdAt) || (a.id < b.id ? -1 : 1)
}

export interface TaskStoreOptions {
  /** How old a write must be to enter the digest (ms; default 0: at once). */
  settleMs?: number
  /** Monotonic ms; required with a settle window (lazy commits use it too; default the system clock). */
  now?: () => number
  /** Timers of lazy commits; default the system's. */
  timers?: Timers
  /** How writes commit: 'inline' (default) or 'background' (commit.ts). */
  commit?: CommitMode
}

export class TaskStore {
  /** Values in the compact encoding (compact.ts toStored); older ones are plain records. */
  private readonly db: Database<unknown, [number, string]>
  private readonly activeMap = new Map<string, TaskRecord>()
  /** The "all" records among the active ones (few; the runner scans them, and indexes the "any" ones). */
  private readonly activeAll = new Map<string, TaskRecord>()
  /** What sync reads: the digest, and the fingerprint of every record in it (sync-index.ts). */
  private readonly index: SyncIndex
  private readonly listeners = new Set<(changes: Change[]) => void>()
  private readonly census = new Census()
  private loaded = false
  private readonly commits: GroupCommit<TaskRecord>

  private readonly mono: () => number

  constructor(private readonly store: Store, private readonly partitionOf: (id: string) => number, partitions: number, private readonly wall: () => number, options: TaskStoreOptions = {}) {
    const settleMs = options.settleMs ?? 0
    if (settleMs > 0 && options.now === undefined) throw new Error('a TaskStore with a settle window needs a clock (options.now)')
    // Without a settle window every write enters the digest at its next read, whatever the time.
    this.mono = options.now ?? (() => 0)
    this.index = new SyncIndex(partitions, settleMs, this.mono)
    this.db = store.db<unknown, [number, string]>(TASKS_DB)
    // Each value written straight into a chunk of bytes (compact-writer.ts), checksummed, and handed to lmdb as is.
    const writer = new CompactWriter()
    this.commits = new GroupCommit<TaskRecord>(this.db, r => checksummedBytes(writer, () => { writer.stored(r) }), r => [r.partition, r.id], options.now === undefined ? systemClock : { now: options.now }, options.timers ?? systemTimers, options.commit)
  }

  /** The per-partition digest of the records as they were settleMs ago and earlier (sync-index.ts). */
  get digest(): Digest {
    return this.index.digest
  }

  /** The fingerprint of the record `id` as the digest has it (undefined if none); with `fresh`, of the record as it is now. */
  fingerprintOf(id: string, fresh = false): number | undefined {
    return this.index.fingerprintOf(id, fresh)
  }

  /** The ids of partition p's records in `buckets`, with their fingerprints, as the digest has them (with `fresh`, as they are now). */
  summary(p: number, buckets: readonly number[], fresh = false): { ids: string[], fps: number[] } {
    return this.index.summary(p, buckets, fresh)
  }

  /** How many records partition p holds in bucket b, as the digest has them. */
  bucketSize(p: number, b: number): number {
    return this.index.bucketSize(p, b)
  }

  /** Builds the digest and the active set from disk (until then, every read goes to disk). */
  load(): void {
    this.loaded = true
    const now = this.wall()
    this.census.reset()
    // What was on disk is settled: it enters the digest on its first read.
    for (const { value: stored } of this.db.getRange()) {
      const value = decodeStored(stored)
      // A write made before the load is newer than the disk.
      if (!this.commits.has(value.id)) this.track(undefined, value, now, Number.NEGATIVE_INFINITY)
    }
    for (const value of this.commits.uncommitted().values()) if (value !== undefined) this.census.note(undefined, value, isActive(value, now))
  }

  /**
   * The stored record. Active ones come from memory (kept equal to disk by every write), so the read in each merge
   * skips lmdb and msgpack; an id never stored here (every new task, several times on its way in) is known absent
   * from the digest's index without a read. `partition`, when the caller knows it is the id's, saves its hash.
   */
  get(id: string, partition?: number): TaskRecord | undefined {
    const active = this.activeMap.get(id)
    if (active !== undefined) return active
    // Before the load, every read goes to disk.
    if (this.loaded && !this.index.holds(id)) return undefined
    // Not committed yet: the newest value is in memory (lmdb still has the one before, or none).
    if (this.commits.has(id)) return this.commits.pending(id)
    const stored = this.db.get([partition ?? this.partitionOf(id), id])
    return stored === undefined ? undefined : decodeStored(stored)
  }

  /** The newest copy this peer has: the active one, which includes writes not yet committed, else the committed one. */
  latest(id: string): TaskRecord | undefined {
    return this.get(id)
  }

  activeRecords(): IterableIterator<TaskRecord> {
    return this.activeMap.values()
  }

  /** The in-memory copy of an active record (no disk read); undefined if it is not active or not yet written. */
  active(id: string): TaskRecord | undefined {
    return this.activeMap.get(id)
  }

  activeAllRecords(): IterableIterator<TaskRecord> {
    return this.activeAll.values()
  }

  /**
   * Refuses writes from now on (UnavailableError) and resolves once those already made have committed: the lmdb
   * environment may close then (a write it received after closing would fail inside lmdb-js, out of anyone's reach).
   */
  async close(): Promise<void> {
    await this.commits.close()
  }

  /** Resolves when every write committed so far is flushed to disk (commits resolve earlier, when visible). */
  async flushed(): Promise<void> {
    await this.store.flushed()
  }

  onChange(listener: (changes: Change[]) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /**
   * Merges records from anywhere; resolves with the changes once committed. Collectable records not held here are
   * refused. With `lazyMs` (copies whose commit nothing waits for) the commit may wait that long for other writes.
   */
  async merge(records: readonly TaskRecord[], retentionMs = Number.POSITIVE_INFINITY, lazyMs = 0): Promise<Change[]> {
    // Many arrivals are copies already held (the push and the gossip of one record, sync, duplicates): a copy that
    // does not change the stored record is dropped, and a batch of nothing new writes nothing.
    return this.write(() => {
      const now = this.wall()
      const out: Change[] = []
      for (const incoming of records) {
        if (incoming.partition !== this.partitionOf(incoming.id)) continue
        const before = this.get(incoming.id, incoming.partition)
        const after = mergeChange(before, incoming)
        if (after === undefined) continue
        if (before === undefined && isCollectable(after, now, retentionMs)) continue
        this.putNow(before, after, now)
        out.push({ before, after })
      }
      return out
    }, lazyMs)
  }

  /** Stores new records in one commit; a record whose id is already known (an idempotent repeat) is left as it is. */
  async create(records: readonly TaskRecord[]): Promise<Change[]> {
    return this.write(() => {
      const now = this.wall()
      const out: Change[] = []
      for (const r of records) {
        if (this.get(r.id, r.partition) !== undefined) continue
        this.putNow(undefined, r, now)
        out.push({ before: undefined, after: r })
      }
      return out
    })
  }

  /**
   * Read-modify-write of one record: `fn` gets the current copy and returns the next, or undefined to leave it. With
   * `lazyMs`, the commit may wait that long for other writes (as merge's).
   */
  async update(id: string, fn: (current: TaskRecord | undefined) => TaskRecord | undefined, lazyMs = 0): Promise<Change | undefined> {
    const [change] = await this.write(() => {
      const before = this.get(id)
      const after = fn(before)
      if (after === undefined || after === before) return []
      if (after.id !== id) throw new Error(`update of ${id} returned record ${after.id}`)
      this.putNow(before, after, this.wall())
      return [{ before, after }]
    }, lazyMs)
    return change
  }

  /** False while a write would be refused (the disk below its reserve, or a failed commit): the runner then starts nothing. */
  writable(): boolean {
    try {
      this.commits.check()
      assertWritable(this.db)
      return true
    } catch {
      return false
    }
  }

  /**
   * Removes collectable records; returns how many. The store is read in key order, `pageRecords` at a time, and the
   * event loop gets a turn between pages: a scan of every record never holds it for long (a single pass over 140,000
   * records took ~300 ms). A page's collectable records are removed before the next page is read. Stops between
   * pages when `signal` fires (rejects with its reason); what was removed stays removed.
   */
  async collect(retentionMs: number, options: { pageRecords?: number, signal?: AbortSignal } = {}): Promise<number> {
    const page = options.pageRecords ?? COLLECT_PAGE_RECORDS
    const now = this.wall()
    let removed = 0
    let after: [number, string] | undefined
    for (;;) {
      options.signal?.throwIfAborted()
      const doomed: Array<[number, string]> = []
      let seen = 0
      let last: [number, string] | undefined
      // lmdb's range starts at `start` inclusive: the page after `after` skips it.
      for (const { key, value } of this.db.getRange({ start: after, limit: after === undefined ? page : page + 1 })) {
        if (after !== undefined && key[0] === after[0] && key[1] === after[1]) continue
        seen++
        last = key
        const life = storedLifetime(value)
        if (life === undefined) throw new StoreCorruptError('a stored task record has neither the compact nor the plain layout')
        if (isCollectable(life, now, retentionMs)) doomed.push(key)
      }
      if (doomed.length > 0) removed += await this.remove(doomed, now, retentionMs)
      if (seen < page || last === undefined) return removed
      after = last
      await new Promise<void>((resolve) => { setImmediate(resolve) })
    }
  }

  /** Removes the records under `keys` that are still collectable as this peer has them now. */
  private async remove(keys: ReadonlyArray<[number, string]>, now: number, retentionMs: number): Promise<number> {
    const removed = await this.write(() => {
      const out: Change[] = []
      for (const [p, id] of keys) {
        const before = this.get(id, p)
        if (before === undefined || !isCollectable(before, now, retentionMs)) continue
        this.commits.remove([before.partition, before.id])
        this.track(before, undefined, now)
        out.push({ before, after: undefined })
      }
      return out
    })
    return removed.length
  }

  /**
   * Up to `limit` records matching the query, sorted by creation. Pending, running, failed and cancelled records are
   * found in memory (the active set and the census's ids, newest writes first); done ones and tombstones by reading
   * the store in key order until `limit` match. At most `scanMax` (LIST_SCAN_RECORDS) stored records are read:
   * `truncated` says the read stopped there.
   */
  listPage(query: TaskQuery = {}, scanMax = LIST_SCAN_RECORDS): TaskList {
    const out: TaskRecord[] = []
    const limit = query.limit ?? Number.POSITIVE_INFINITY
    const state = query.state
    let scanned = 0
    if (this.loaded && state !== undefined && state !== 'done' && query.deleted !== true) {
      const matches = (r: TaskRecord | undefined): r is TaskRecord => r !== undefined && !r.deleted && r.state === state && (query.name === undefined || r.name === query.name)
      // Active: pending and running records, and "all" ones (any state) until they expire.
      const active = state === 'pending' || state === 'running' ? this.activeMap.values() : this.activeAll.values()
      for (const r of active) {
        if (out.length >= limit) break
        if (matches(r)) out.push(r)
      }
      for (const id of this.census.idleIds(state)) {
        if (out.length >= limit) break
        if (scanned++ >= scanMax) return { tasks: out.sort(byCreation), truncated: true }
        const r = this.get(id)
        if (matches(r)) out.push(r)
      }
      return { tasks: out.sort(byCreation), truncated: false }
    }
    for (const { value: stored } of this.db.getRange()) {
      if (scanned++ >= scanMax) return { tasks: out.sort(byCreation), truncated: true }
      const value = decodeStored(stored)
      if (value.deleted && query.deleted !== true) continue
      if (query.state !== undefined && value.state !== query.state) continue
      if (query.name !== undefined && value.name !== query.name) continue
      out.push(value)
      if (out.length >= limit) break
    }
    return { tasks: out.sort(byCreation), truncated: false }
  }

  /** `listPage`'s records alone. */
  list(query: TaskQuery = {}): TaskRecord[] {
    return this.listPage(query).tasks
  }

  /** How many records are in each state (tombstones apart), and the `rows` written last and failed last, newest first; no scan. */
  overview(rows: number): TaskOverview {
    // Counts alone (`rows` 0, as a poll of them asks): no record is read. The recent ones are mostly finished, so
    // each would be read from lmdb and decoded (up to RECENT_IDS_MAX of them) only to be dropped.
    if (rows <= 0) return { counts: { ...this.census.counts }, total: this.census.total, recent: [], failures: [] }
    const live = (ids: readonly string[]): TaskRecord[] => ids.map(id => this.get(id)).filter((r): r is TaskRecord => r !== undefined && !r.deleted)
    const failedAll = [...this.activeAll.values()].filter(r => r.state === 'failed' && !r.deleted)
    const newest = (rs: TaskRecord[]): TaskRecord[] => rs.sort((a, b) => b.updatedAt - a.updatedAt).slice(0, rows)
    return {
      counts: { ...this.census.counts },
      total: this.census.total,
      recent: newest(live(this.census.recentIds())),
      failures: newest([...failedAll, ...live(this.census.idleIds('failed').slice(0, rows))]),
    }
  }

  /**
   * Runs `fn` now against the newest state; its puts join the next commit. Resolves with its changes once that
   * has committed (listeners hear of them then). A disk below its reserve refuses the write before `fn` runs.
   */
  private async write(fn: () => Change[], lazyMs = 0): Promise<Change[]> {
    this.commits.check()
    assertWritable(this.db)
    const out = fn()
    if (out.length === 0) return out
    await this.commits.committed(lazyMs)
    for (const l of [...this.listeners]) l(out)
    return out
  }

  private putNow(before: TaskRecord | undefined, after: TaskRecord, now: number): void {
    this.commits.put(after.id, after)
    this.track(before, after, now)
  }

  private track(before: TaskRecord | undefined, after: TaskRecord | undefined, now: number, at = this.mono()): void {
    const r = after ?? before
    if (r === undefined) return
    const active = after !== undefined && isActive(after, now)
    this.census.note(before, after, active)
    this.index.mark(r.id, r.partition, at, after, active)
    if (active) {
      this.activeMap.set(r.id, after)
      if (after.scope === 'all') this.activeAll.set(r.id, after)
    } else {
      this.activeMap.delete(r.id)
      this.activeAll.delete(r.id)
    }
  }
}
