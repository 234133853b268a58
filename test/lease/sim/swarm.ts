// Random runs. Each seed draws its own mix of faults (swarm testing: some
// runs have only loss, some only crashes, some everything), prints those
// knobs on failure, and replays exactly from the seed.

import type { UnsafeKnobs } from '../../../src/lease/index.js'
import { randomInt, seededRandom, type Random } from '../../../src/util/random.js'
import type { Violation } from './checker.js'
import type { NetKnobs } from './network.js'
import { SIM_RHO, simParams } from './params.js'
import { World } from './world.js'

export interface Knobs {
  seed: number
  nodes: number
  /** 'grow': node 0 bootstraps alone and the others join over time; 'preset': all start as voters of config 1. */
  start: 'grow' | 'preset'
  faultMs: number
  quietMs: number
  net: NetKnobs
  partitionsPerS: number
  partitionMs: number
  asymmetric: number
  crashesPerS: number
  diskLoss: number
  restartMs: number
  pausesPerS: number
  pauseMaxMs: number
  driftChangesPerS: number
  kill: boolean
  leave: boolean
  hintNoise: number
}

const chance = (r: Random, p: number): boolean => r.next() < p

export function drawKnobs(seed: number, durationScale = 1): Knobs {
  const r = seededRandom(seed ^ 0x5eed)
  const on = (p: number, v: number): number => (chance(r, p) ? v : 0)
  const diskLoss = on(0.3, 0.3 + 0.5 * r.next())
  return {
    seed,
    nodes: randomInt(r, 3, 6),
    start: chance(r, 0.5) ? 'grow' : 'preset',
    faultMs: Math.round(randomInt(r, 8000, 16000) * durationScale),
    quietMs: 9000,
    net: {
      loss: on(0.6, 0.2 * r.next()),
      dup: on(0.4, 0.1 * r.next()),
      delayMinMs: 0.2 + r.next() * 2,
      delayMeanMs: 1 + r.next() * 10,
      tailProb: on(0.6, 0.05 * r.next()),
      tailMaxMs: 200 + r.next() * 2000,
    },
    partitionsPerS: on(0.5, 0.5 * r.next()),
    partitionMs: randomInt(r, 200, 3000),
    asymmetric: r.next(),
    crashesPerS: on(0.5, 0.4 * r.next()),
    diskLoss,
    restartMs: randomInt(r, 0, 2500),
    pausesPerS: on(0.5, 0.4 * r.next()),
    pauseMaxMs: randomInt(r, 300, 3500),
    driftChangesPerS: on(0.7, 2 * r.next()),
    kill: diskLoss === 0 && chance(r, 0.3),
    leave: chance(r, 0.3),
    hintNoise: on(0.3, 0.05 * r.next()),
  }
}

export interface RunResult {
  seed: number
  knobs: Knobs
  violations: Violation[]
  acquisitions: number
  writes: number
  steps: number
  messages: number
  /** Time from healing until every partition was held, or -1. */
  recoveredMs: number
  log: string[]
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i}`)
const drift = (r: Random): number => 1 + (2 * r.next() - 1) * SIM_RHO

function poisson(w: World, r: Random, perS: number, untilMs: number, act: (t: number) => void): void {
  if (perS <= 0) return
  for (let t = -Math.log(1 - r.next()) * (1000 / perS); t < untilMs; t += -Math.log(1 - r.next()) * (1000 / perS)) {
    const at = t
    w.schedule(at, () => act(at))
  }
}

/** The newest voter set any node knows of (in memory or on disk): what the fault schedule must respect. */
function latestVoters(w: World): string[] {
  let best = { cfg: -1, voters: [] as string[] }
  for (const n of w.nodes.values()) {
    for (const c of [n.node?.state.config, n.disk]) if (c && c.cfg > best.cfg) best = { cfg: c.cfg, voters: c.voters }
  }
  return best.voters
}

function build(k: Knobs, unsafe: UnsafeKnobs | undefined, trace: boolean): World {
  const w = new World({ seed: k.seed, params: simParams, unsafe, net: k.net, hintPeriodMs: 100, hintNoise: k.hintNoise, writeProb: 0.3, trace })
  const r = seededRandom(k.seed ^ 0xfa11)
  const names = ids(k.nodes)
  if (k.start === 'preset') {
    const voters = names.slice(0, Math.min(5, k.nodes % 2 === 1 ? k.nodes : k.nodes - 1))
    for (const id of names) w.addNode(id, { rate: drift(r), persisted: { cfg: 1, voters, floorCfg: 1, floorN: 0 } })
  } else {
    w.addNode(names[0]!, { rate: drift(r), bootstrap: true })
    names.slice(1).forEach((id, i) => w.schedule((i + 1) * k.faultMs / (2 * k.nodes), () => w.addNode(id, { rate: drift(r) })))
  }
  const pick = (): string => names[randomInt(r, 0, names.length - 1)]!
  poisson(w, r, k.driftChangesPerS, k.faultMs, () => w.setRate(pick(), drift(r)))
  let voterDiskLosses = 0
  poisson(w, r, k.crashesPerS, k.faultMs, () => {
    const id = pick()
    // Outside the model, so never drawn: a majority of voters losing their disks, or the only voter losing it.
    const voters = latestVoters(w)
    const isVoter = voters.includes(id)
    const loseDisk = chance(r, k.diskLoss) && (!isVoter || (voters.length >= 3 && voterDiskLosses === 0))
    if (loseDisk && isVoter) voterDiskLosses++
    w.crash(id, loseDisk)
    w.schedule(w.t + r.next() * k.restartMs, () => w.restart(id))
  })
  poisson(w, r, k.pausesPerS, k.faultMs, () => w.pause(pick(), r.next() * k.pauseMaxMs))
  poisson(w, r, k.partitionsPerS, k.faultMs, () => {
    const side = new Set(names.filter(() => chance(r, 0.5)))
    const oneWay = chance(r, k.asymmetric * 0.5)
    for (const a of names) for (const b of names) if (side.has(a) && !side.has(b)) {
      w.net.block(a, b)
      if (!oneWay) w.net.block(b, a)
    }
    w.schedule(w.t + r.next() * k.partitionMs, () => w.net.healAll())
  })
  if (k.kill) {
    w.schedule(k.faultMs * (0.5 + 0.4 * r.next()), () => {
      // Liveness needs a live majority of voters: never kill the only voter, nor one whose loss leaves a minority alive.
      const id = pick()
      const voters = latestVoters(w)
      const othersUp = voters.filter((v) => v !== id && w.nodes.get(v)?.up).length
      if (!voters.includes(id) || (voters.length >= 3 && othersUp >= Math.floor(voters.length / 2) + 1)) w.kill(id)
    })
  }
  if (k.leave) w.schedule(k.faultMs * (0.5 + 0.4 * r.next()), () => w.leave(pick()))
  return w
}

/** Heal: network calm, every crashed (not departed) node restarted, hints exact. */
function heal(w: World, k: Knobs): void {
  w.net.healAll()
  w.net.knobs = { ...k.net, loss: 0, dup: 0, tailProb: 0 }
  w.opts.hintNoise = 0
  for (const id of w.nodes.keys()) w.restart(id)
}

export function runSeed(seed: number, opts: { unsafe?: UnsafeKnobs, durationScale?: number, trace?: boolean, knobs?: Partial<Knobs> } = {}): RunResult {
  const k = { ...drawKnobs(seed, opts.durationScale), ...opts.knobs }
  const w = build(k, opts.unsafe, opts.trace ?? false)
  w.run(k.faultMs)
  let recoveredMs = -1
  if (!w.checker.failed) {
    w.schedule(k.faultMs, () => heal(w, k))
    // Liveness: after healing, every partition must be held (all at once) within quietMs.
    while (w.t < k.faultMs + k.quietMs && !w.checker.failed) {
      w.run(w.t + 50)
      if (w.t > k.faultMs && w.unheld().length === 0) {
        recoveredMs = w.t - k.faultMs
        break
      }
    }
  }
  if (!w.checker.failed && recoveredMs < 0) {
    w.checker.report('liveness', w.t, `partitions ${w.unheld().join(',')} still unheld ${k.quietMs} ms after healing`)
  }
  return {
    seed, knobs: k, violations: w.checker.violations, acquisitions: w.checker.acquisitions,
    writes: w.checker.writesAccepted + w.checker.writesRejected, steps: w.steps, messages: w.net.sent, recoveredMs, log: w.log,
  }
}
