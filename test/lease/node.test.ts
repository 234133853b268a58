// The node driven by hand: boot, restart wait, acceptor answers, config
// mismatch, and single-node acquisition. Time is whatever we pass as `now`.

import { describe, expect, it } from 'vitest'
import { compareFences, LeaseLostError, placementOf, LeaseNode, type Effect, type Message, type PersistedState } from '../../src/lease/index.js'
import { seededRandom } from '../../src/util/random.js'
import { simParams } from './sim/params.js'

const W = 1000 * 1.02 + 5
const voters3: PersistedState = { cfg: 1, voters: ['A', 'B', 'C'], floorCfg: 1, floorN: 0 }

function node(id: string, persisted?: PersistedState, bootstrap = false): LeaseNode {
  const n = new LeaseNode({ id, random: seededRandom(7), params: simParams })
  n.step({ type: 'boot', persisted, bootstrap }, 0)
  return n
}

const sent = (effects: Effect[]): Message[] => effects.flatMap((e) => (e.type === 'send' ? [e.message] : []))
const msg = (m: Record<string, unknown>): unknown => ({ v: 1, ...m })

describe('LeaseNode', () => {
  it('refuses events before boot', () => {
    const n = new LeaseNode({ id: 'A', random: seededRandom(1), params: simParams })
    expect(() => n.step({ type: 'tick' }, 0)).toThrow(/first event is boot/)
  })

  it('a bootstrapped single peer holds every partition only after the wait W', () => {
    const n = node('A', undefined, true)
    expect(n.state.config).toEqual({ cfg: 1, voters: ['A'] })
    let effects = n.step({ type: 'tick' }, 500)
    expect(effects.some((e) => e.type === 'acquired')).toBe(false)
    effects = n.step({ type: 'tick' }, W + 1)
    const acquired = effects.filter((e) => e.type === 'acquired')
    expect(acquired).toHaveLength(8)
    const h = n.holding(0, W + 2)!
    expect(h.fence.startsWith('00000001.')).toBe(true)
    expect(h.validUntil).toBeCloseTo(W + 1 + 1000 * (1 - 0.04) - 5)
    expect(n.holding(0, h.validUntil)).toBeUndefined()
    expect(() => n.assertHolding(0, h.validUntil)).toThrow(LeaseLostError)
  })

  it('an acceptor answers wait during W, then promises, refuses lower ballots, and reports a live grant as busy', () => {
    const a = node('A', voters3)
    const prepare = (n: number): unknown => msg({ t: 'prepare', cfg: 1, es: [{ p: 0, n }] })
    expect(sent(a.step({ type: 'message', from: 'B', body: prepare(3) }, 10))[0]).toMatchObject({ t: 'promise', rs: [{ p: 0, r: 'wait' }] })
    expect(sent(a.step({ type: 'message', from: 'B', body: prepare(3) }, W))[0]).toMatchObject({ rs: [{ r: 'ok' }] })
    expect(sent(a.step({ type: 'message', from: 'C', body: prepare(2) }, W))[0]).toMatchObject({ rs: [{ r: 'nack', pn: 3, pby: 'B' }] })
    const accepted = sent(a.step({ type: 'message', from: 'B', body: msg({ t: 'propose', cfg: 1, seq: 1, es: [{ p: 0, n: 3 }] }) }, W + 10))
    expect(accepted[0]).toMatchObject({ t: 'accepted', seq: 1, rs: [{ r: 'ok' }] })
    expect(sent(a.step({ type: 'message', from: 'B', body: msg({ t: 'propose', cfg: 1, seq: 1, es: [{ p: 0, n: 3 }] }) }, W + 20))).toEqual([])
    expect(sent(a.step({ type: 'message', from: 'C', body: prepare(9) }, W + 500))[0]).toMatchObject({ rs: [{ r: 'busy', ms: 510 }] })
    expect(sent(a.step({ type: 'message', from: 'C', body: prepare(9) }, W + 1011))[0]).toMatchObject({ rs: [{ r: 'ok' }] })
  })

  it('a proposer persists a reservation above every ballot before sending it, and a restarted one starts above the reservation', () => {
    // A worker (not a voter) that wants every partition: its first prepare.
    const x = node('X', voters3)
    const first = x.step({ type: 'hint', alive: ['A', 'B', 'C'], leaving: [] }, 0)
    const prepares = sent(first).filter((m) => m.t === 'prepare')
    expect(prepares.length).toBeGreaterThan(0)
    const n = (prepares[0] as { es: Array<{ n: number }> }).es[0]!.n
    const persistAt = first.findIndex((e) => e.type === 'persist')
    const sendAt = first.findIndex((e) => e.type === 'send')
    expect(persistAt).toBeGreaterThanOrEqual(0)
    expect(persistAt).toBeLessThan(sendAt)
    const saved = (first[persistAt] as { state: PersistedState }).state
    expect(saved.propN).toBeGreaterThanOrEqual(n)
    // Restarted from that disk, it never proposes a ballot it may have used: its old grants may still be live.
    const again = node('X', saved)
    const next = sent(again.step({ type: 'hint', alive: ['A', 'B', 'C'], leaving: [] }, 0)).filter((m) => m.t === 'prepare') as Array<{ es: Array<{ n: number }> }>
    expect(next[0]!.es.every((e) => e.n > saved.propN!)).toBe(true)
  })

  it('a worker probes its busy partitions again in one Prepare, not one per partition as their jittered retries come due', () => {
    const x = node('X', { ...voters3, propN: 0 })
    const first = sent(x.step({ type: 'hint', alive: ['A', 'B', 'C'], leaving: [] }, W)).filter((m) => m.t === 'prepare') as Array<{ es: Array<{ p: number, n: number }> }>
    const wanted = first[0]!.es.map((e) => e.p)
    expect(wanted.length).toBeGreaterThan(1)
    // Every voter answers busy (a grant to someone else, 5 s left): each partition backs off busyRetryMaxMs plus its own jitter.
    for (const from of ['A', 'B', 'C']) {
      x.step({ type: 'message', from, body: msg({ t: 'promise', cfg: 1, rs: first[0]!.es.map((e) => ({ p: e.p, n: e.n, r: 'busy', ms: 5000 })) }) }, W + 1)
    }
    const rounds: Array<Array<{ p: number }>> = []
    for (let t = W + 2; t <= W + 1 + 300 + 30 + 1; t++) {
      const prepares = sent(x.step({ type: 'tick' }, t)).filter((m) => m.t === 'prepare') as Array<{ es: Array<{ p: number }> }>
      // One Prepare per voter per round.
      if (prepares.length > 0) rounds.push(prepares[0]!.es)
    }
    // The desired owner's partitions (rank 0) go out again as one round; its fallback ones wait out fallbackDelayMs.
    const desired = wanted.filter((p) => placementOf(['A', 'B', 'C', 'X'], simParams.partitions!).owner(p) === 'X')
    expect(desired.length).toBeGreaterThan(1)
    expect(rounds).toHaveLength(1)
    expect(rounds[0]!.map((e) => e.p).sort()).toEqual([...desired].sort())
  })

  it('a node restarted from disk tells its shell the config it has (status, leaving as a voter)', () => {
    const n = new LeaseNode({ id: 'B', random: seededRandom(3), params: simParams })
    const effects = n.step({ type: 'boot', persisted: voters3 }, 0)
    expect(effects).toContainEqual({ type: 'config', cfg: 1, voters: ['A', 'B', 'C'], voter: true })
  })

  it('a release from the holder frees the partition at once', () => {
    const a = node('A', voters3)
    a.step({ type: 'message', from: 'B', body: msg({ t: 'propose', cfg: 1, seq: 1, es: [{ p: 0, n: 3 }] }) }, W)
    a.step({ type: 'message', from: 'B', body: msg({ t: 'release', cfg: 1, es: [{ p: 0, n: 3 }] }) }, W + 1)
    expect(sent(a.step({ type: 'message', from: 'C', body: msg({ t: 'prepare', cfg: 1, es: [{ p: 0, n: 4 }] }) }, W + 2))[0]).toMatchObject({ rs: [{ r: 'ok' }] })
  })

  it('persists the floor by reservation before replying, and restores it after a restart', () => {
    const a = node('A', voters3)
    const effects = a.step({ type: 'message', from: 'B', body: msg({ t: 'prepare', cfg: 1, es: [{ p: 0, n: 3 }] }) }, W)
    const iPersist = effects.findIndex((e) => e.type === 'persist')
    const iSend = effects.findIndex((e) => e.type === 'send')
    expect(iPersist).toBeGreaterThanOrEqual(0)
    expect(iPersist).toBeLessThan(iSend)
    const disk = (effects[iPersist] as { state: PersistedState }).state
    expect(disk.floorN).toBe(13)
    const again = node('A', disk)
    expect(sent(again.step({ type: 'message', from: 'C', body: msg({ t: 'prepare', cfg: 1, es: [{ p: 0, n: 12 }] }) }, 2 * W))[0]).toMatchObject({ rs: [{ r: 'nack', pn: 13 }] })
  })

  it('answers a message from another config with its own config, and adopts a newer one', () => {
    const a = node('A', voters3)
    expect(sent(a.step({ type: 'message', from: 'D', body: msg({ t: 'prepare', cfg: 7, es: [{ p: 0, n: 1 }] }) }, 5))[0]).toMatchObject({ t: 'config', cfg: 1, voters: ['A', 'B', 'C'] })
    const effects = a.step({ type: 'message', from: 'D', body: msg({ t: 'config', cfg: 7, voters: ['A', 'D', 'E'] }) }, 6)
    expect(effects).toContainEqual({ type: 'config', cfg: 7, voters: ['A', 'D', 'E'], voter: true })
    expect(a.state.readyAt).toBeCloseTo(6 + W)
  })

  it('reports invalid messages instead of acting on them', () => {
    const a = node('A', voters3)
    expect(a.step({ type: 'message', from: 'B', body: { v: 1, cfg: 1, t: 'prepare', es: [{ p: 99, n: 1 }] } }, 1)[0]).toMatchObject({ type: 'invalid', from: 'B' })
  })

  it('always asks for a timer no later than tickMaxMs ahead', () => {
    const a = node('A', voters3)
    const timer = a.step({ type: 'tick' }, 50).find((e) => e.type === 'timer')
    expect(timer).toBeDefined()
    expect((timer as { at: number }).at).toBeLessThanOrEqual(150)
  })

  describe('a renewal nacked by some voters', () => {
    type Propose = Extract<Message, { t: 'propose' }>
    /** Worker X (not a voter, the only worker its hint shows) holding every partition under `voters`. */
    const holder = (voters: string[]): { x: LeaseNode, t: number, held: number[] } => {
      const x = node('X', { cfg: 1, voters, floorCfg: 1, floorN: 0, propN: 0 })
      const prepares = sent(x.step({ type: 'hint', alive: ['X'], leaving: [] }, W)).filter((m) => m.t === 'prepare') as Array<{ es: Array<{ p: number, n: number }> }>
      const es = prepares[0]!.es
      let proposes: Propose[] = []
      for (const from of voters) proposes.push(...sent(x.step({ type: 'message', from, body: msg({ t: 'promise', cfg: 1, rs: es.map((e) => ({ ...e, r: 'ok' })) }) }, W + 1)).filter((m): m is Propose => m.t === 'propose'))
      const propose = proposes[0]!
      for (const from of voters) x.step({ type: 'message', from, body: msg({ t: 'accepted', cfg: 1, seq: propose.seq, rs: propose.es.map((e) => ({ ...e, r: 'ok' })) }) }, W + 2)
      proposes = []
      return { x, t: W + 2, held: propose.es.map((e) => e.p).filter((p) => x.holding(p, W + 3) !== undefined) }
    }
    /** The next renewal round after `t`, answered ok by every voter but `nacking`, which nack partition `p`; then the one after. */
    const renewTwice = (x: LeaseNode, t: number, voters: string[], nacking: string[], p: number): Propose | undefined => {
      let round: Propose | undefined
      for (; round === undefined; t += 10) round = sent(x.step({ type: 'tick' }, t)).find((m): m is Propose => m.t === 'propose')
      for (const from of voters) {
        const rs = round.es.map((e) => (e.p === p && nacking.includes(from) ? { ...e, r: 'nack', pn: e.n + 100, pby: 'Y' } : { ...e, r: 'ok' }))
        x.step({ type: 'message', from, body: msg({ t: 'accepted', cfg: 1, seq: round.seq, rs }) }, t)
      }
      const first = round.seq
      for (let u = t; u < t + 1000; u += 10) {
        const next = sent(x.step({ type: 'tick' }, u)).find((m): m is Propose => m.t === 'propose' && m.seq !== first)
        if (next !== undefined) return next
      }
      return undefined
    }

    it('renews on past one nack of 5 voters: a spare voter is left above the majority', () => {
      const voters = ['A', 'B', 'C', 'D', 'E']
      const { x, t, held } = holder(voters)
      expect(held).toHaveLength(simParams.partitions!)
      const next = renewTwice(x, t, voters, ['A'], held[0]!)
      expect(next?.es.map((e) => e.p)).toContain(held[0])
    })

    /** The next renewal round after `t`, answered by `voters` in order: `nacking` nack partition `p` for `pby`'s promise, the others ok. */
    const renewNacked = (x: LeaseNode, t: number, voters: string[], nacking: string[], p: number, pby: string): { effects: Effect[], pn: number, t: number } => {
      let round: Propose | undefined
      for (; round === undefined; t += 10) round = sent(x.step({ type: 'tick' }, t)).find((m): m is Propose => m.t === 'propose')
      const pn = round.es.find((e) => e.p === p)!.n + 100
      const effects: Effect[] = []
      for (const from of voters) {
        const rs = round.es.map((e) => (e.p === p && nacking.includes(from) ? { ...e, r: 'nack', pn, pby } : { ...e, r: 'ok' }))
        effects.push(...x.step({ type: 'message', from, body: msg({ t: 'accepted', cfg: 1, seq: round.seq, rs }) }, t))
      }
      return { effects, pn, t }
    }

    it('takes the partition again at once, above the promise, when the nacks leave no spare voter (two of 5, one of 3)', () => {
      for (const [voters, nacking] of [[['A', 'B', 'C', 'D', 'E'], ['A', 'B']], [['A', 'B', 'C'], ['A']]] as const) {
        const { x, t, held } = holder([...voters])
        const p = held[0]!
        const before = x.holding(p, t)!.fence
        // Y is not a worker here: its promise is a lower rank's (a prober's), not a rival ranked before X.
        const { effects, pn, t: t1 } = renewNacked(x, t, [...voters], [...nacking], p, 'Y')
        expect(effects.filter((e) => e.type === 'lost')).toEqual([{ type: 'lost', partition: p, fence: before, reason: 'refused' }])
        expect(x.holding(p, t1)).toBeUndefined()
        // In the same step: a Prepare of p above the promised ballot, to every voter.
        const prepares = sent(effects).filter((m): m is Extract<Message, { t: 'prepare' }> => m.t === 'prepare')
        expect(prepares).toHaveLength(voters.length)
        const n = prepares[0]!.es.find((e) => e.p === p)!.n
        expect(n).toBeGreaterThan(pn)
        // Every voter promises it (the grant they hold is X's own), and X holds p again under the new ballot.
        const proposes: Propose[] = []
        for (const from of voters) proposes.push(...sent(x.step({ type: 'message', from, body: msg({ t: 'promise', cfg: 1, rs: [{ p, n, r: 'ok' }] }) }, t1 + 1)).filter((m): m is Propose => m.t === 'propose' && m.es.some((e) => e.p === p)))
        const acquired: Effect[] = []
        for (const from of voters) acquired.push(...x.step({ type: 'message', from, body: msg({ t: 'accepted', cfg: 1, seq: proposes[0]!.seq, rs: [{ p, n, r: 'ok' }] }) }, t1 + 2))
        expect(acquired.filter((e) => e.type === 'acquired').map((e) => e.type === 'acquired' && e.partition)).toEqual([p])
        expect(compareFences(x.holding(p, t1 + 3)!.fence, before)).toBeGreaterThan(0)
      }
    })

    it('lets the tenure lapse, probing nothing, when the nack is the promise of a peer ranked before it', () => {
      const voters = ['A', 'B', 'C']
      const { x, t, held } = holder(voters)
      // Y appears, and is the desired owner of some partitions X holds (not yet handed over: Y is too new).
      x.step({ type: 'hint', alive: ['X', 'Y'], leaving: [] }, t)
      const placement = placementOf(['X', 'Y'], simParams.partitions!)
      const p = held.find((q) => placement.owner(q) === 'Y')!
      const before = x.holding(p, t)!.fence
      const { effects, t: t1 } = renewNacked(x, t, voters, ['A'], p, 'Y')
      expect(effects.filter((e) => e.type === 'lost')).toEqual([])
      expect(sent(effects).filter((m) => m.t === 'prepare')).toEqual([])
      const until = x.holding(p, t1)!.validUntil
      // No renewal of p any more: it ends at its validUntil.
      const later: Effect[] = []
      for (let u = t1 + 10; u <= until + 10; u += 10) later.push(...x.step({ type: 'tick' }, u))
      expect(sent(later).filter((m) => m.t === 'propose' && m.es.some((e) => e.p === p))).toEqual([])
      // (The partitions X is not lapsing go to Y once it has looked alive handoffStableMs.)
      expect(later.filter((e) => e.type === 'lost' && e.partition === p)).toEqual([{ type: 'lost', partition: p, fence: before, reason: 'expired' }])
    })
  })
})
