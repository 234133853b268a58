// The seeded fault schedule: the same seed gives the same steps (kinds,
// victims, durations, gaps), so a failing run replays with `--seed N`. The
// first four steps are the four kinds in a seeded order, so even a short run
// has each; later steps draw kinds at random.

import { randomInt, seededRandom, type Random } from '../../../src/util/random.js'

export type FaultKind = 'kill' | 'pause' | 'partition' | 'restart-all'

export interface FaultStep {
  kind: FaultKind
  /** Victims (peer indexes): killed, paused, or one side of the partition (the rest is the other side). */
  peers: number[]
  /** How long the fault lasts: down, paused, cut. */
  holdMs: number
  /** Quiet time before the step. */
  gapMs: number
  /** restart-all: a graceful stop (SIGTERM) or a crash (SIGKILL) of every peer. */
  signal?: 'SIGTERM' | 'SIGKILL'
}

export interface ScheduleInit {
  steps: number
  peers: number
  /** The lease term: pauses last longer than it, so the paused holder's leases end. */
  leaseMs: number
}

const KINDS: FaultKind[] = ['kill', 'pause', 'partition', 'restart-all']
/** restart-all is the slowest step; later steps draw it with this weight against 1 for each other kind. */
const RESTART_ALL_WEIGHT = 0.25

export function makeSchedule(seed: number, init: ScheduleInit): FaultStep[] {
  const random = seededRandom(seed)
  const first = shuffle(random, [...KINDS])
  const steps: FaultStep[] = []
  for (let i = 0; i < init.steps; i++) steps.push(step(random, first[i] ?? drawKind(random), init))
  return steps
}

function step(random: Random, kind: FaultKind, init: ScheduleInit): FaultStep {
  const gapMs = randomInt(random, 1_000, 3_000)
  switch (kind) {
    case 'kill':
      // One or two peers: two of five voters down still leaves a majority.
      return { kind, peers: pick(random, init.peers, randomInt(random, 1, 2)), holdMs: randomInt(random, 300, 4_000), gapMs }
    case 'pause':
      return { kind, peers: pick(random, init.peers, 1), holdMs: randomInt(random, Math.ceil(init.leaseMs * 1.5), init.leaseMs * 3), gapMs }
    case 'partition':
      return { kind, peers: pick(random, init.peers, randomInt(random, 1, Math.floor((init.peers - 1) / 2))), holdMs: randomInt(random, 2_000, 6_000), gapMs }
    case 'restart-all':
      return { kind, peers: pick(random, init.peers, init.peers), holdMs: randomInt(random, 300, 2_000), gapMs, signal: random.next() < 0.5 ? 'SIGTERM' : 'SIGKILL' }
  }
}

function drawKind(random: Random): FaultKind {
  const total = 3 + RESTART_ALL_WEIGHT
  const x = random.next() * total
  return x < 1 ? 'kill' : x < 2 ? 'pause' : x < 3 ? 'partition' : 'restart-all'
}

function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, 0, i)
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}

/** `count` distinct indexes of `0..n-1`, in a seeded order. */
function pick(random: Random, n: number, count: number): number[] {
  return shuffle(random, Array.from({ length: n }, (_, i) => i)).slice(0, count)
}

export function describeStep(s: FaultStep, names: (i: number) => string = i => `p${i}`): string {
  const who = s.peers.map(names).join(',')
  switch (s.kind) {
    case 'kill': return `SIGKILL ${who}, restart after ${s.holdMs} ms`
    case 'pause': return `SIGSTOP ${who} for ${s.holdMs} ms`
    case 'partition': return `partition {${who}} from the rest for ${s.holdMs} ms`
    case 'restart-all': return `${s.signal} all, restart after ${s.holdMs} ms`
  }
}
