// The deterministic world: N nodes driven on virtual time by an event heap,
// each with its own drifting clock, talking over the simulated network, with
// crashes (with or without the disk), pauses, joins and leaves. Everything
// random comes from one seeded PRNG, so a run replays exactly from its seed.

import { LeaseInvariantError, LeaseNode, type Effect, type LeaseEvent, type LeaseParams, type PersistedState, type UnsafeKnobs } from '../../../src/lease/index.js'
import { seededRandom, type Random } from '../../../src/util/random.js'
import { Checker } from './checker.js'
import { SimClock } from './clock.js'
import { EventHeap } from './heap.js'
import { SimNetwork, type NetKnobs } from './network.js'

export interface WorldOptions {
  seed: number
  params: Partial<LeaseParams>
  unsafe?: UnsafeKnobs
  net: NetKnobs
  hintPeriodMs: number
  /** Probability that a hint wrongly omits a live peer. */
  hintNoise: number
  /** Probability that a holder writes to the fenced resource on each of its steps, per held partition. */
  writeProb: number
  trace?: boolean
  /** Directed scenarios set hints by hand with hint(); no automatic rounds. */
  manualHints?: boolean
}

export interface SimNode {
  id: string
  clock: SimClock
  node?: LeaseNode
  disk?: PersistedState
  up: boolean
  departed: boolean
  pausedUntil: number
  queue: LeaseEvent[]
  timerToken: number
  lastHint: string
  boots: number
}

export class World {
  t = 0
  readonly heap = new EventHeap()
  readonly rng: Random
  readonly net: SimNetwork
  readonly checker = new Checker()
  readonly nodes = new Map<string, SimNode>()
  readonly leaving = new Set<string>()
  readonly log: string[] = []
  steps = 0

  constructor(readonly opts: WorldOptions) {
    this.rng = seededRandom(opts.seed)
    this.net = new SimNetwork(this.rng, opts.net)
    if (!opts.manualHints) this.schedule(0, () => this.hintRound())
  }

  /** Sets a node's membership hint by hand (directed scenarios). */
  hint(id: string, alive: string[], leaving: string[] = []): void {
    const n = this.nodes.get(id)
    if (n) this.deliver(n, { type: 'hint', alive: alive.filter((p) => p !== id), leaving })
  }

  trace(line: string | (() => string)): void {
    if (this.opts.trace) this.log.push(`${this.t.toFixed(1)} ${typeof line === 'string' ? line : line()}`)
  }

  schedule(t: number, run: () => void): void {
    this.heap.push(Math.max(t, this.t), run)
  }

  /** Adds a node whose clock runs at `rate` (1 +- rho) and boots it now. */
  addNode(id: string, init: { rate?: number, persisted?: PersistedState, bootstrap?: boolean, fresh?: boolean } = {}): SimNode {
    const offset = Math.floor(this.rng.next() * 1e6)
    const n: SimNode = { id, clock: new SimClock(offset, init.rate ?? 1, this.t), up: false, departed: false, pausedUntil: 0, queue: [], timerToken: 0, lastHint: '', boots: 0 }
    if (init.persisted) n.disk = structuredClone(init.persisted)
    this.nodes.set(id, n)
    // fresh: false is a peer id made before its first start (`troupe id`): booted with no disk, it is amnesic.
    if (init.fresh === false) n.boots++
    this.start(n, init.bootstrap === true)
    return n
  }

  /** The shell's 'found' (a shared seed list's smallest id, once every peer it names is up with no config). */
  found(id: string): void {
    const n = this.nodes.get(id)
    if (n?.up === true) this.deliver(n, { type: 'found' })
  }

  private start(n: SimNode, bootstrap: boolean): void {
    n.node = new LeaseNode({ id: n.id, random: seededRandom(Math.floor(this.rng.next() * 2 ** 32)), params: this.opts.params, unsafe: this.opts.unsafe })
    n.up = true
    n.queue = []
    n.lastHint = ''
    this.trace(`${n.id} boot disk=${n.disk !== undefined}`)
    // A restart reuses the peer id, so a restart without its disk is the amnesic case (worst case: a real peer whose key was lost too comes back as a new id).
    const fresh = n.boots++ === 0
    this.deliver(n, n.disk ? { type: 'boot', persisted: structuredClone(n.disk) } : { type: 'boot', bootstrap, fresh })
  }

  crash(id: string, diskLoss = false): void {
    const n = this.nodes.get(id)
    if (!n || !n.up) return
    this.trace(`${id} crash diskLoss=${diskLoss}`)
    n.up = false
    delete n.node
    n.timerToken++
    n.pausedUntil = 0
    n.queue = []
    if (diskLoss) delete n.disk
  }

  restart(id: string): void {
    const n = this.nodes.get(id)
    if (n && !n.up && !n.departed) this.start(n, false)
  }

  /** Crash for good (the peer is gone). */
  kill(id: string): void {
    this.crash(id)
    const n = this.nodes.get(id)
    if (n) n.departed = true
  }

  pause(id: string, ms: number): void {
    const n = this.nodes.get(id)
    if (!n || !n.up || this.t < n.pausedUntil) return
    this.trace(`${id} pause ${ms.toFixed(0)}ms`)
    n.pausedUntil = this.t + ms
    const token = n.timerToken
    this.schedule(n.pausedUntil, () => {
      if (n.timerToken !== token && !n.up) return
      const queued = n.queue
      n.queue = []
      for (const e of queued) this.deliver(n, e)
      this.deliver(n, { type: 'tick' })
    })
  }

  leave(id: string): void {
    const n = this.nodes.get(id)
    if (!n || !n.up) return
    this.leaving.add(id)
    this.deliver(n, { type: 'leave' })
  }

  setRate(id: string, rate: number): void {
    this.nodes.get(id)?.clock.setRate(rate, this.t)
  }

  local(n: SimNode): number {
    return n.clock.local(this.t)
  }

  deliver(n: SimNode, event: LeaseEvent): void {
    if (!n.up || !n.node) return
    if (this.t < n.pausedUntil) {
      n.queue.push(event)
      return
    }
    const now = this.local(n)
    let effects: Effect[]
    try {
      effects = n.node.step(event, now)
    } catch (err) {
      if (!(err instanceof LeaseInvariantError)) throw err
      this.checker.report('assert', this.t, `${n.id}: ${err.message}`)
      return
    }
    this.steps++
    for (const e of effects) this.apply(n, e)
    this.afterStep(n, event)
  }

  private apply(n: SimNode, e: Effect): void {
    switch (e.type) {
      case 'send': return this.send(n.id, e.to, e.message)
      case 'persist': n.disk = structuredClone(e.state); return
      case 'acquired':
        this.trace(`${n.id} acquired p${e.partition} ${e.fence}`)
        return this.checker.onAcquired(n.id, e.partition, e.fence, this.t)
      case 'lost': this.trace(`${n.id} lost p${e.partition} ${e.reason}`); return
      case 'config': this.trace(`${n.id} config ${e.cfg} [${e.voters.join(',')}]`); return
      case 'invalid': return this.checker.report('invalid', this.t, `${n.id} rejected a message from ${e.from}: ${e.reason}`)
      case 'timer': return this.setTimer(n, e.at)
      case 'renewed': this.trace(() => `${n.id} renewed p${e.partition} until ${e.validUntil.toFixed(1)} (local now ${this.local(n).toFixed(1)})`); return
    }
  }

  private setTimer(n: SimNode, at: number): void {
    const token = ++n.timerToken
    this.schedule(n.clock.trueTimeOf(at), () => {
      if (n.timerToken === token) this.deliver(n, { type: 'tick' })
    })
  }

  private send(from: string, to: string, body: unknown): void {
    this.trace(() => `${from}->${to} ${JSON.stringify(body)}`)
    const route = this.net.route(from, to, body)
    if (!route) return
    for (const d of route.delays) {
      this.schedule(this.t + d, () => {
        const n = this.nodes.get(to)
        if (n) this.deliver(n, { type: 'message', from, body: this.net.decode(route.bytes) })
      })
    }
  }

  private afterStep(n: SimNode, event: LeaseEvent): void {
    const node = n.node!
    for (let p = 0; p < node.state.params.partitions; p++) {
      const mine = node.holding(p, this.local(n))
      if (!mine) continue
      const holders = [n.id]
      for (const other of this.nodes.values()) {
        if (other !== n && other.up && other.node?.holding(p, this.local(other))) holders.push(other.id)
      }
      this.checker.checkExclusive(p, holders, this.t)
      if (event.type === 'tick' && this.rng.next() < this.opts.writeProb) this.write(p, mine.fence)
    }
  }

  /** A holder writes to the fenced resource; the write travels (and may be delayed) like any message. */
  private write(p: number, fence: string): void {
    const d = this.net.delay()
    this.schedule(this.t + d, () => this.checker.onWrite(p, fence, this.t))
  }

  /** Every hintPeriodMs each node hears who is alive: up, reachable toward it, not departed (with noise). */
  private hintRound(): void {
    for (const n of this.nodes.values()) {
      if (!n.up || this.t < n.pausedUntil) continue
      const alive = [...this.nodes.values()]
        .filter((o) => o !== n && o.up && !o.departed && !this.net.isBlocked(o.id, n.id) && this.rng.next() >= this.opts.hintNoise)
        .map((o) => o.id)
      const leaving = [...this.leaving]
      const key = `${alive.join(',')}|${leaving.join(',')}`
      if (key === n.lastHint) continue
      n.lastHint = key
      this.deliver(n, { type: 'hint', alive, leaving })
    }
    this.schedule(this.t + this.opts.hintPeriodMs, () => this.hintRound())
  }

  /** Runs events until true time `until` (or the first violation when `stopOnViolation`). */
  run(until: number, stopOnViolation = true): void {
    while (this.heap.peekTime() <= until) {
      const ev = this.heap.pop()!
      this.t = ev.t
      ev.run()
      if (stopOnViolation && this.checker.failed) return
    }
    this.t = until
  }

  /** Partitions with no holder right now. */
  unheld(): number[] {
    const partitions = this.opts.params.partitions ?? 256
    const out: number[] = []
    for (let p = 0; p < partitions; p++) {
      const held = [...this.nodes.values()].some((n) => n.up && n.node?.holding(p, this.local(n)))
      if (!held) out.push(p)
    }
    return out
  }
}
