// The pure membership view on virtual time: many views gossiping in one
// process, driven tick by tick with a seeded PRNG. No sleeps.

import { describe, expect, it } from 'vitest'
import { resolveMembershipOptions, type MembershipInit } from '../../src/membership/options.js'
import { parseRecord, type MemberRecord } from '../../src/membership/record.js'
import { MemberView, type ViewEvent } from '../../src/membership/view.js'
import { seededRandom } from '../../src/util/random.js'

function record(id: string, incarnation = 1): MemberRecord {
  return { id, incarnation, heartbeat: 0, status: 'alive', addrs: [`/ip4/127.0.0.1/tcp/${id}`], httpUrl: null, hosts: { actors: [], tasks: [] }, version: 't' }
}

class Cluster {
  now = 0
  readonly views = new Map<string, MemberView>()
  readonly events: Array<{ at: number, observer: string } & ViewEvent> = []
  readonly stalled = new Set<string>()
  private readonly random = seededRandom(7)
  readonly options

  constructor(init: MembershipInit = {}) {
    this.options = resolveMembershipOptions(init)
  }

  add(id: string, incarnation = 1, seed?: string): MemberView {
    const view = new MemberView(record(id, incarnation), this.options, this.now)
    this.views.set(id, view)
    if (seed !== undefined) this.exchange(id, seed)
    return view
  }

  exchange(from: string, to: string): void {
    const a = this.views.get(from)
    const b = this.views.get(to)
    if (a === undefined || b === undefined || this.stalled.has(from) || this.stalled.has(to)) return
    this.record(to, b.merge(a.digest(), this.now))
    this.record(from, a.merge(b.digest(), this.now))
  }

  record(observer: string, events: ViewEvent[]): void {
    for (const e of events) this.events.push({ ...e, at: this.now, observer })
  }

  /** Advances virtual time by `ms` in ticks; stalled members neither tick nor gossip. */
  run(ms: number): void {
    const end = this.now + ms
    while (this.now < end) {
      this.now += this.options.tickIntervalMs
      for (const [id, view] of this.views) {
        if (this.stalled.has(id)) continue
        this.record(id, view.tick(this.now))
        if (this.now % this.options.gossipIntervalMs === 0) {
          for (const target of view.gossipTargets(this.random)) this.exchange(id, target)
        }
      }
    }
  }

  stateOf(observer: string, id: string): string | undefined {
    return this.views.get(observer)?.get(id)?.state
  }
}

describe('membership view', () => {
  it('a 5-member cluster where each knows only member 1 becomes fully aware', () => {
    const c = new Cluster()
    c.add('p1')
    for (const id of ['p2', 'p3', 'p4', 'p5']) c.add(id, 1, 'p1')
    c.run(3_000)
    for (const v of c.views.values()) {
      expect(v.members().filter(m => m.state === 'alive').map(m => m.record.id).sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5'])
    }
  })

  it('a silent member is suspected, then declared dead within deadAfterMs plus a tick', () => {
    const c = new Cluster({ suspectAfterMs: 2_000, deadAfterMs: 4_000 })
    for (const id of ['a', 'b', 'c']) c.add(id, 1, 'a')
    c.run(2_000)
    const killedAt = c.now
    c.views.delete('c')
    c.run(6_000)
    const dead = c.events.filter(e => e.type === 'dead' && e.member.record.id === 'c')
    expect(dead.map(e => e.observer).sort()).toEqual(['a', 'b'])
    for (const e of dead) {
      expect(e.at - killedAt).toBeGreaterThanOrEqual(4_000 - c.options.gossipIntervalMs * 2)
      expect(e.at - killedAt).toBeLessThanOrEqual(4_000 + c.options.tickIntervalMs * 2)
    }
    expect(c.events.some(e => e.type === 'suspect' && e.member.record.id === 'c')).toBe(true)
  })

  it('a member whose event loop stalls for 2 s is not declared dead (default timings)', () => {
    const c = new Cluster()
    for (const id of ['a', 'b', 'c']) c.add(id, 1, 'a')
    c.run(3_000)
    c.stalled.add('b')
    c.run(2_000)
    c.stalled.delete('b')
    c.run(5_000)
    expect(c.events.filter(e => e.type === 'dead')).toEqual([])
    expect(c.stateOf('a', 'b')).toBe('alive')
  })

  it('an observer that was itself stalled does not declare others dead when it wakes', () => {
    const c = new Cluster({ suspectAfterMs: 2_000, deadAfterMs: 3_000 })
    for (const id of ['a', 'b', 'c']) c.add(id, 1, 'a')
    c.run(2_000)
    const a = c.views.get('a')!
    // 'a' misses every tick for 5 s (longer than deadAfterMs), then ticks once before any gossip arrives.
    c.now += 5_000
    c.record('a', a.tick(c.now))
    expect(c.events.filter(e => e.observer === 'a' && e.type === 'dead')).toEqual([])
  })

  it('a graceful leave is seen at once, and stale gossip does not bring the member back', () => {
    const c = new Cluster()
    for (const id of ['a', 'b', 'c']) c.add(id, 1, 'a')
    c.run(2_000)
    const stale = c.views.get('c')!.digest()
    const leaving = c.views.get('c')!.leave()
    c.views.delete('c')
    c.record('a', c.views.get('a')!.merge([leaving], c.now))
    expect(c.events.filter(e => e.type === 'leave').map(e => e.observer)).toEqual(['a'])
    c.run(2_000)
    expect(c.stateOf('b', 'c')).toBe('left')
    c.record('b', c.views.get('b')!.merge(stale, c.now))
    expect(c.stateOf('b', 'c')).toBe('left')
  })

  it('a dead member that restarts with a new incarnation is accepted again', () => {
    const c = new Cluster({ suspectAfterMs: 2_000, deadAfterMs: 3_000 })
    for (const id of ['a', 'b', 'c']) c.add(id, 1, 'a')
    c.run(2_000)
    c.views.delete('c')
    c.run(5_000)
    expect(c.stateOf('a', 'c')).toBe('dead')
    c.add('c', 2, 'b')
    c.run(2_000)
    expect(c.stateOf('a', 'c')).toBe('alive')
    const join = c.events.find(e => e.type === 'join' && e.observer === 'b' && e.member.record.id === 'c' && e.member.record.incarnation === 2)
    expect(join).toBeDefined()
  })

  it('a member\'s lease config (cfg) reaches the others as an update, and a bad one is refused', () => {
    const c = new Cluster()
    c.add('1')
    c.add('2', 1, '1')
    c.views.get('1')!.updateSelf({ cfg: 3 })
    c.exchange('2', '1')
    expect(c.views.get('2')!.members().find(m => m.record.id === '1')?.record.cfg).toBe(3)
    expect(c.events.filter(e => e.observer === '2' && e.type === 'update').map(e => e.member.record.id)).toEqual(['1'])
    expect(parseRecord({ ...record('1'), cfg: 2 })).toMatchObject({ cfg: 2 })
    // A record without it (an older peer) parses, with no cfg.
    expect(parseRecord(record('1'))).not.toHaveProperty('cfg')
    for (const cfg of [-1, 1.5, '1', null]) expect(parseRecord({ ...record('1'), cfg })).toBe('cfg is not a count')
  })

  it('rejects timings that would make healthy members flap', () => {
    expect(() => resolveMembershipOptions({ suspectAfterMs: 500 })).toThrow(/suspectAfterMs/)
    expect(() => resolveMembershipOptions({ deadAfterMs: 1_000, suspectAfterMs: 2_000 })).toThrow(/deadAfterMs/)
  })
})
