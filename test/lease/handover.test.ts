// Placement while a cluster forms: when a config becomes ready only each
// partition's desired owner probes, and a handed-over partition goes straight
// to its desired owner instead of back and forth between it and the fallback
// rank that handed it over. Three real LeaseNodes, messages delivered by hand
// (in order, without loss), time in simulator units (M = 1 s).

import { describe, expect, it } from 'vitest'
import { LeaseNode, placementOf, type Effect, type Message, type PersistedState } from '../../src/lease/index.js'
import { seededRandom } from '../../src/util/random.js'
import { simParams } from './sim/params.js'

const W = 1000 * 1.02 + 5
const voters3: PersistedState = { cfg: 1, voters: ['A', 'B', 'C'], floorCfg: 1, floorN: 0 }
const P = simParams.partitions!
const FALLBACK_MS = simParams.fallbackDelayMs!

interface Event { t: number, node: string, type: 'acquired' | 'lost', p: number }

/** Nodes by id; effects are carried out at once (sends delivered in order in the same instant, to live nodes only). */
class Net {
  readonly nodes = new Map<string, LeaseNode>()
  readonly events: Event[] = []
  readonly prepares: Array<{ t: number, from: string, ps: number[] }> = []

  boot(id: string, t: number, persisted = voters3): void {
    const n = new LeaseNode({ id, random: seededRandom(id.charCodeAt(0)), params: simParams })
    this.nodes.set(id, n)
    this.run(id, n.step({ type: 'boot', persisted }, t), t)
  }

  hint(id: string, alive: string[], t: number): void {
    this.run(id, this.nodes.get(id)!.step({ type: 'hint', alive, leaving: [] }, t), t)
  }

  tick(t: number): void {
    for (const [id, n] of this.nodes) this.run(id, n.step({ type: 'tick' }, t), t)
  }

  private run(id: string, effects: Effect[], t: number): void {
    const queue: Array<{ to: string, from: string, message: Message }> = []
    const collect = (from: string, es: Effect[]): void => {
      for (const e of es) {
        if (e.type === 'send') {
          queue.push({ to: e.to, from, message: e.message })
          if (e.message.t === 'prepare') this.prepares.push({ t, from, ps: e.message.es.map((x) => x.p) })
        } else if (e.type === 'acquired' || e.type === 'lost') this.events.push({ t, node: from, type: e.type, p: e.partition })
      }
    }
    collect(id, effects)
    while (queue.length > 0) {
      const m = queue.shift()!
      const to = this.nodes.get(m.to)
      if (to !== undefined) collect(m.to, to.step({ type: 'message', from: m.from, body: m.message }, t))
    }
  }
}

const desiredOf = (alive: string[], p: number): string => placementOf(alive, P).owner(p)!

describe('placement while a cluster forms', () => {
  it('when the voters become ready, only the desired owners probe; fallback ranks wait fallbackDelayMs from then', () => {
    const net = new Net()
    for (const id of ['A', 'B', 'C']) net.boot(id, 0)
    for (const id of ['A', 'B', 'C']) net.hint(id, ['A', 'B', 'C'], 0)
    // W is longer than the fallback delay: before this change every fallback rank probed too as the wait ended.
    expect(W).toBeGreaterThan(FALLBACK_MS)
    for (let t = 10; t <= W + 3 * FALLBACK_MS; t += 10) net.tick(t)
    for (const { from, ps } of net.prepares) for (const p of ps) expect(desiredOf(['A', 'B', 'C'], p)).toBe(from)
    // Every partition went once, to its desired owner, and nothing moved.
    const acquired = net.events.filter((e) => e.type === 'acquired')
    expect(acquired).toHaveLength(P)
    for (const e of acquired) expect(e.node).toBe(desiredOf(['A', 'B', 'C'], e.p))
    expect(net.events.filter((e) => e.type === 'lost')).toEqual([])
  })

  it('the desired owner probes at once when a holder releases to it, with a ballot above the released one', () => {
    // C is a worker (voters A and B); it has just been answered busy, so its own retry is up to busyRetryMaxMs away.
    const votersAB: PersistedState = { cfg: 1, voters: ['A', 'B'], floorCfg: 1, floorN: 0 }
    const c = new LeaseNode({ id: 'C', random: seededRandom(3), params: simParams })
    c.step({ type: 'boot', persisted: votersAB }, 0)
    const first = c.step({ type: 'hint', alive: ['A', 'B', 'C'], leaving: [] }, 10).flatMap((e) => (e.type === 'send' && e.message.t === 'prepare' ? [e.message] : []))
    const mine = first[0]!.es
    expect(mine.every((e) => desiredOf(['A', 'B', 'C'], e.p) === 'C')).toBe(true)
    for (const from of ['A', 'B']) c.step({ type: 'message', from, body: { v: 1, cfg: 1, t: 'promise', rs: mine.map((e) => ({ p: e.p, n: e.n, r: 'busy', ms: 5000 })) } }, 11)
    const p = mine[0]!.p
    const out = c.step({ type: 'message', from: 'A', body: { v: 1, cfg: 1, t: 'release', es: [{ p, n: 40 }] } }, 20)
    const probe = out.flatMap((e) => (e.type === 'send' && e.message.t === 'prepare' ? [e.message] : []))
    expect(probe.map((m) => m.es.find((e) => e.p === p)?.n)).toEqual([41, 41])
  })
})
