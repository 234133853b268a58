// A cluster of TaskServices in one process: MemoryNetwork messengers, an
// in-memory gossip bus, real lmdb stores in temp folders, a hand-moved
// partition assignment, and one clock whose time tests can skip ahead.
import { openStore, type Store } from '../../src/store/store.js'
import { MemoryBus } from '../../src/tasks/bus.js'
import { StaticAssignment } from '../../src/tasks/claims.js'
import type { TaskDefinition } from '../../src/tasks/define.js'
import type { TaskServiceInit } from '../../src/tasks/options.js'
import { TaskService } from '../../src/tasks/service.js'
import type { Clock, TimerHandle, Timers, WallClock } from '../../src/util/clock.js'
import { silentLogger } from '../../src/util/logger.js'
import { seededRandom } from '../../src/util/random.js'
import { MemoryNetwork, type MemoryMessenger } from '../../src/wire/memory-messenger.js'
import { tempDir } from '../helpers/tmp.js'

/**
 * Real time plus an offset that `advance` moves forward; timers run on real
 * time too, and those due after an advance fire at once. Everything that
 * does real I/O keeps working while tests skip minutes of waiting. Wall and
 * monotonic readings drift apart by fractions of a ms: advance a few ms past
 * a wall-clock deadline, not exactly onto it.
 */
export class SkipClock implements Clock, WallClock, Timers {
  private offset = 0
  private readonly pending = new Map<object, { fn: () => void, due: number, real: NodeJS.Timeout }>()

  now(): number { return performance.now() + this.offset }
  wallNow(): number { return Date.now() + this.offset }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = { id: {} }
    const real = setTimeout(() => this.fire(handle), ms)
    this.pending.set(handle, { fn, due: this.now() + ms, real })
    return handle
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.pending.get(handle)
    if (t !== undefined) clearTimeout(t.real)
    this.pending.delete(handle)
  }

  advance(ms: number): void {
    this.offset += ms
    for (const [handle, t] of [...this.pending]) {
      if (t.due > this.now()) continue
      clearTimeout(t.real)
      this.fire(handle)
    }
  }

  private fire(handle: object): void {
    const t = this.pending.get(handle)
    if (t === undefined) return
    this.pending.delete(handle)
    t.fn()
  }
}

export interface Peer {
  name: string
  dir: string
  store: Store
  messenger: MemoryMessenger
  service: TaskService
}

export interface ClusterInit {
  peers?: number
  partitions?: number
  definitions: (peer: string) => TaskDefinition[]
  init?: TaskServiceInit
  /** Who peer `self` thinks holds partition p (its enqueues put new "any" tasks there first); default the actual holder. */
  holderOf?: (self: string, p: number, assignment: StaticAssignment) => string | undefined
  /** Moves the clock to this wall time (given the real one) before the peers open: periods that real time would cross mid-test start aligned instead. */
  startAt?: (wallNow: number) => number
}

export class Cluster {
  readonly net = new MemoryNetwork()
  readonly bus = new MemoryBus()
  readonly clock = new SkipClock()
  readonly assignment: StaticAssignment
  readonly live = new Set<string>()
  readonly peers = new Map<string, Peer>()
  private readonly dirs: Array<{ remove: () => Promise<void> }> = []
  private readonly messengers = new Map<string, MemoryMessenger>()
  private seed = 1

  constructor(private readonly init: ClusterInit) {
    this.assignment = new StaticAssignment(init.partitions ?? 64)
  }

  static async start(init: ClusterInit): Promise<Cluster> {
    const c = new Cluster(init)
    if (init.startAt !== undefined) c.clock.advance(Math.max(0, init.startAt(c.clock.wallNow()) - c.clock.wallNow()))
    const names = Array.from({ length: init.peers ?? 3 }, (_, i) => String.fromCharCode(97 + i))
    for (const n of names) c.live.add(n)
    c.assignment.spread(names)
    for (const n of names) {
      const dir = await tempDir('troupe-tasks-')
      c.dirs.push(dir)
      await c.open(n, dir.path)
    }
    return c
  }

  peer(name: string): Peer {
    const p = this.peers.get(name)
    if (p === undefined) throw new Error(`no peer ${name}`)
    return p
  }

  service(name: string): TaskService {
    return this.peer(name).service
  }

  /** Opens (or reopens, after stop) a peer on its data folder. */
  async open(name: string, dir: string): Promise<Peer> {
    const store = await openStore(dir)
    let messenger = this.messengers.get(name)
    if (messenger === undefined) {
      messenger = this.net.messenger(name, { logger: { debug: () => {}, warn: () => {} } })
      this.messengers.set(name, messenger)
    }
    await messenger.start()
    const service = new TaskService({
      store, messenger, pubsub: this.bus.attach(name), clock: this.clock, timers: this.clock, random: seededRandom(this.seed++),
      logger: silentLogger, claims: this.assignment.claimsFor(name), members: () => [...this.live], self: name,
      holderOf: p => this.init.holderOf === undefined ? this.assignment.holder(p) : this.init.holderOf(name, p, this.assignment),
    }, this.init.definitions(name), this.init.init)
    this.live.add(name)
    const peer: Peer = { name, dir, store, messenger, service }
    this.peers.set(name, peer)
    await service.start()
    return peer
  }

  /** A crash as the others see it: deaf and mute, out of the member list, its partitions moved to the rest. */
  kill(name: string): void {
    this.live.delete(name)
    this.bus.detach(name)
    for (const other of this.peers.keys()) if (other !== name) this.net.cut(name, other)
    this.assignment.moveAll(name, [...this.live])
  }

  /** Brings a killed peer back: its old service is dropped without ceremony, and it reopens on the same store. */
  async revive(name: string): Promise<Peer> {
    const p = this.peer(name)
    await p.service.stop({ deadlineMs: 0 })
    await p.store.close()
    this.net.heal()
    this.bus.reattach(name)
    return this.open(name, p.dir)
  }

  /** A graceful stop of one peer, store closed; its partitions stay with it unless moved. */
  async stop(name: string, deadlineMs = 1000): Promise<void> {
    const p = this.peer(name)
    await p.service.stop({ deadlineMs })
    await p.messenger.stop()
    await p.store.close()
    this.live.delete(name)
  }

  async close(): Promise<void> {
    for (const p of this.peers.values()) {
      await p.service.stop({ deadlineMs: 0 }).catch(() => undefined)
      await p.messenger.stop()
      await p.store.close().catch(() => undefined)
    }
    for (const d of this.dirs) await d.remove()
  }
}
