// Properties checked with fast-check: ballot and fence order, HRW balance
// and minimal disruption, the timing margins for every drift within the
// bound, and validation of untrusted input.

import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { compareBallots, decodeMessage, fnv1a32, holderValidMs, hrwRank, makeFence, Placement, restartWaitMs, validateMessage, type Message } from '../../src/lease/index.js'

const peer = fc.string({ minLength: 1, maxLength: 12 })
const ballot = fc.record({ n: fc.nat({ max: Number.MAX_SAFE_INTEGER }), by: peer })

describe('ballots and fences', () => {
  it('fence string order equals (cfg, n, by) order', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), ballot, fc.nat({ max: 0xffffffff }), ballot, (c1, b1, c2, b2) => {
      const byTuple = c1 !== c2 ? Math.sign(c1 - c2) : compareBallots(b1, b2)
      const f1 = makeFence(c1, b1)
      const f2 = makeFence(c2, b2)
      const byString = f1 < f2 ? -1 : f1 > f2 ? 1 : 0
      expect(byString).toBe(byTuple)
    }))
  })

  it('ballot order is a total order', () => {
    fc.assert(fc.property(ballot, ballot, ballot, (a, b, c) => {
      expect(Math.sign(compareBallots(a, b))).toBe(-Math.sign(compareBallots(b, a)))
      if (compareBallots(a, b) <= 0 && compareBallots(b, c) <= 0) expect(compareBallots(a, c)).toBeLessThanOrEqual(0)
      if (compareBallots(a, b) === 0) expect(a).toEqual(b)
    }))
  })
})

describe('hashing', () => {
  it('fnv1a32 hashes the UTF-8 bytes TextEncoder produces (lone surrogates included)', () => {
    const encoder = new TextEncoder()
    const reference = (text: string): number => {
      let h = 0x811c9dc5
      for (const byte of encoder.encode(text)) h = Math.imul(h ^ byte, 0x01000193)
      return h >>> 0
    }
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(fnv1a32(text)).toBe(reference(text))
    }), { numRuns: 2000 })
  })
})

describe('rendezvous weights (HRW)', () => {
  const workers = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 2, maxLength: 12 })

  it('a join moves only the partitions whose top weight is the newcomer\'s, a leave only the leaver\'s', () => {
    fc.assert(fc.property(workers, fc.string({ minLength: 1, maxLength: 10 }), (ws, extra) => {
      fc.pre(!ws.includes(extra))
      for (let p = 0; p < 64; p++) {
        const before = hrwRank(ws, p)[0]
        const after = hrwRank([...ws, extra], p)[0]
        if (after !== before) expect(after).toBe(extra)
        const gone = ws[0]!
        const without = hrwRank(ws.slice(1), p)[0]
        if (before !== gone) expect(without).toBe(before)
      }
    }), { numRuns: 200 })
  })
})

describe('balanced placement', () => {
  const workers = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 2, maxLength: 12 })
  const P = 256
  const loads = (placement: Placement): Map<string, number> => {
    const load = new Map<string, number>()
    for (let p = 0; p < P; p++) load.set(placement.owner(p)!, (load.get(placement.owner(p)!) ?? 0) + 1)
    return load
  }

  it('places every partition on a worker, each holding floor(partitions / workers) or one more', () => {
    fc.assert(fc.property(workers, (ws) => {
      const load = loads(new Placement(ws, P))
      expect([...load.keys()].every((w) => ws.includes(w))).toBe(true)
      expect([...load.values()].reduce((a, b) => a + b, 0)).toBe(P)
      expect(Math.max(...load.values())).toBeLessThanOrEqual(Math.ceil(P / ws.length))
      expect(Math.min(...ws.map((w) => load.get(w) ?? 0))).toBe(Math.floor(P / ws.length))
    }), { numRuns: 100 })
  })

  it('depends only on the set of workers: any order, repeats ignored', () => {
    fc.assert(fc.property(workers, fc.integer({ min: 0, max: 1000 }), (ws, seed) => {
      const shuffled = [...ws, ws[0]!].sort((a, b) => fnv1a32(a, seed) - fnv1a32(b, seed))
      const a = new Placement(ws, P)
      const b = new Placement(shuffled, P)
      for (let p = 0; p < P; p++) {
        expect(b.owner(p)).toBe(a.owner(p))
        expect(b.order(p)).toEqual(a.order(p))
      }
    }), { numRuns: 50 })
  })

  it('ranks the owner first and the others by weight, and indexOf agrees with the order', () => {
    fc.assert(fc.property(workers, (ws) => {
      const placement = new Placement(ws, 32)
      for (let p = 0; p < 32; p++) {
        const order = placement.order(p)
        expect(order[0]).toBe(placement.owner(p))
        expect(order.slice(1)).toEqual(hrwRank(ws, p).filter((w) => w !== order[0]))
        for (const w of ws) expect(placement.indexOf(p, w)).toBe(order.indexOf(w))
        expect(placement.indexOf(p, '\u0000not-a-worker')).toBe(-1)
      }
    }), { numRuns: 60 })
  })

  it('a join or a leave moves at most three times the partitions that must move', () => {
    fc.assert(fc.property(workers, fc.string({ minLength: 1, maxLength: 10 }), (ws, extra) => {
      fc.pre(!ws.includes(extra))
      const before = new Placement(ws, P)
      const joined = new Placement([...ws, extra], P)
      const left = new Placement(ws.slice(1), P)
      let joinMoves = 0
      let leaveMoves = 0
      for (let p = 0; p < P; p++) {
        if (joined.owner(p) !== before.owner(p)) joinMoves++
        if (left.owner(p) !== before.owner(p)) leaveMoves++
      }
      // What must move: the newcomer's share; the leaver's partitions.
      expect(joinMoves).toBeLessThanOrEqual(3 * Math.ceil(P / (ws.length + 1)))
      expect(leaveMoves).toBeLessThanOrEqual(3 * Math.ceil(P / ws.length))
    }), { numRuns: 200 })
  })
})

describe('timing margins', () => {
  const rho = fc.double({ min: 0, max: 0.09, noNaN: true })
  const leaseMs = fc.integer({ min: 100, max: 60_000 })
  const slackMs = fc.integer({ min: 0, max: 100 })
  const unit = fc.double({ min: -1, max: 1, noNaN: true })

  it('the holder deadline never outlives any acceptor expiry, for every drift within the bound', () => {
    // Real time the holder trusts: H / (1 + dh), from before the Propose left.
    // Real time an acceptor keeps the grant: M / (1 + da), from after it arrived (so later).
    fc.assert(fc.property(leaseMs, rho, slackMs, unit, unit, (m, r, e, uh, ua) => {
      const holderReal = holderValidMs(m, r, e) / (1 + uh * r)
      const acceptorReal = m / (1 + ua * r)
      expect(holderReal).toBeLessThanOrEqual(acceptorReal + 1e-9)
    }), { numRuns: 2000 })
  })

  it('a restarted acceptor stays silent longer than any grant it may have forgotten', () => {
    fc.assert(fc.property(leaseMs, rho, slackMs, unit, unit, (m, r, e, uh, ua) => {
      expect(restartWaitMs(m, r, e) / (1 + ua * r)).toBeGreaterThanOrEqual(holderValidMs(m, r, e) / (1 + uh * r))
      expect(restartWaitMs(m, r, e) / (1 + ua * r)).toBeGreaterThanOrEqual(m / (1 + r) - 1e-9)
    }), { numRuns: 2000 })
  })

  it('without the 2*rho*M margin a counterexample exists (the property has teeth)', () => {
    const broken = fc.check(fc.property(leaseMs, fc.double({ min: 1e-3, max: 0.09, noNaN: true }), slackMs, unit, unit, (m, r, e, uh, ua) => {
      return (m - e) / (1 + uh * r) <= m / (1 + ua * r)
    }), { numRuns: 2000, seed: 42 })
    expect(broken.failed).toBe(true)
  })
})

describe('message validation', () => {
  const p = fc.nat({ max: 7 })
  const n = fc.nat({ max: 2 ** 40 })
  const entries = fc.uniqueArray(fc.record({ p, n }), { selector: (e) => e.p, maxLength: 8 })
  const result = fc.record({ p, n, r: fc.constantFrom('ok', 'busy', 'wait', 'sealed' as const), ms: fc.nat({ max: 10_000 }) })
  const voters = fc.uniqueArray(peer, { minLength: 1, maxLength: 5 })
  const valid: fc.Arbitrary<Message> = fc.oneof(
    fc.record({ v: fc.constant(1), cfg: fc.nat(), t: fc.constant('prepare' as const), es: entries }),
    fc.record({ v: fc.constant(1), cfg: fc.nat(), t: fc.constant('propose' as const), seq: fc.integer({ min: 1 }), es: entries }),
    fc.record({ v: fc.constant(1), cfg: fc.nat(), t: fc.constant('release' as const), es: entries }),
    fc.record({ v: fc.constant(1), cfg: fc.nat(), t: fc.constant('promise' as const), rs: fc.array(result, { maxLength: 8 }) }),
    fc.record({ v: fc.constant(1), cfg: fc.nat(), t: fc.constant('config' as const), voters }),
    fc.record({ v: fc.constant(1), cfg: fc.nat(), t: fc.constant('cfg-accept' as const), n, voters }),
    fc.record({ v: fc.constant(1), cfg: fc.nat(), t: fc.constant('floor-reply' as const), rid: fc.nat(), floor: n }),
  )
  const packr = new Packr({ useRecords: false })

  it('accepts every well-formed message unchanged after a msgpack round trip', () => {
    fc.assert(fc.property(valid, (m) => {
      expect(decodeMessage(packr.unpack(packr.pack(m)), 8)).toEqual(m)
    }))
  })

  it('never throws on garbage; returns a reason instead', () => {
    fc.assert(fc.property(fc.anything(), (junk) => {
      const v = validateMessage(junk, 8)
      if (!v.ok) expect(v.reason.length).toBeGreaterThan(0)
    }), { numRuns: 2000 })
  })

  it('rejects a valid message with any one field replaced by a wrong value', () => {
    const wrong = fc.oneof(fc.constant(null), fc.constant(-1), fc.constant(1.5), fc.constant('x'), fc.constant([]), fc.constant({}), fc.constant(2 ** 60))
    fc.assert(fc.property(valid, wrong, fc.nat(), (m, bad, pick) => {
      const keys = Object.keys(m)
      const key = keys[pick % keys.length]!
      const before = (m as unknown as Record<string, unknown>)[key]
      fc.pre(JSON.stringify(before) !== JSON.stringify(bad))
      fc.pre(!(Array.isArray(before) && Array.isArray(bad) && key !== 'voters'))
      const v = validateMessage({ ...m, [key]: bad }, 8)
      expect(v.ok).toBe(false)
    }), { numRuns: 2000 })
  })

  it('names the offending field', () => {
    expect(validateMessage({ v: 1, cfg: 1, t: 'prepare', es: [{ p: 8, n: 1 }] }, 8)).toEqual({ ok: false, reason: 'p: 8 outside 0..7' })
    expect(validateMessage({ v: 2, cfg: 1, t: 'prepare', es: [] }, 8)).toMatchObject({ ok: false, reason: 'v: unsupported wire version 2' })
    expect(validateMessage({ v: 1, cfg: 1, t: 'promise', rs: [{ p: 1, n: 1, r: 'nack' }] }, 8)).toMatchObject({ ok: false, reason: 'rs[0].pn: required on nack' })
    expect(validateMessage({ v: 1, cfg: 1, t: 'prepare', es: [{ p: 1, n: 1 }, { p: 1, n: 2 }] }, 8)).toMatchObject({ ok: false, reason: 'es[1].p: duplicate partition 1' })
    expect(validateMessage({ v: 1, cfg: 1, t: 'config', voters: ['a', 'a'] }, 8)).toMatchObject({ ok: false, reason: 'voters: duplicate voter' })
    expect(validateMessage({ v: 1, cfg: 1, t: 'nope' }, 8)).toMatchObject({ ok: false, reason: 't: unknown message type "nope"' })
  })
})
