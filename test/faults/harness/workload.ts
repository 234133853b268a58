// The workload: "any" tasks, "all" tasks and actor asks, sent over HTTP to
// the peers that are up, paced over the run, at most `inflightMax` at once.
// Enqueues carry an idempotency key, so a request that failed is retried on
// another peer without making a second task; asks are not retried (each one
// sent is counted, each one answered is acknowledged).

import { randomInt, seededRandom } from '../../../src/util/random.js'
import type { Slot } from './cluster.js'
import { httpJson, mapLimit, sleep } from './http.js'
import type { ActorTally, Enqueued } from './types.js'

export interface WorkloadInit {
  seed: number
  anyTasks: number
  allTasks: number
  actorMessages: number
  /** Distinct actors the asks go to. */
  actorKeys: number
  /** Send everything within about this long. */
  spreadMs: number
  inflightMax: number
}

/** Tries per enqueue, each on a peer that looks up. */
export const ENQUEUE_TRIES_MAX = 3
/** Above the peers' enqueueTimeoutMs (10 s): a slow replica ack is not a failure. */
export const ENQUEUE_TIMEOUT_MS = 12_000
/** Above the peers' askTimeoutMs. */
export const ASK_TIMEOUT_MS = 15_000

type Op = { kind: 'any' | 'all' | 'actor', ms: number, key: number }

export interface WorkloadResult {
  enqueued: Enqueued[]
  actors: Map<string, { sent: number, acked: number }>
  failed: number
}

export function makeOps(init: WorkloadInit): Op[] {
  const random = seededRandom(init.seed ^ 0x5eed)
  const ops: Op[] = [
    ...Array.from({ length: init.anyTasks }, (): Op => ({ kind: 'any', ms: randomInt(random, 0, 30), key: 0 })),
    ...Array.from({ length: init.allTasks }, (): Op => ({ kind: 'all', ms: randomInt(random, 0, 5), key: 0 })),
    ...Array.from({ length: init.actorMessages }, (): Op => ({ kind: 'actor', ms: randomInt(random, 0, 5), key: randomInt(random, 0, init.actorKeys - 1) })),
  ]
  for (let i = ops.length - 1; i > 0; i--) {
    const j = randomInt(random, 0, i)
    ;[ops[i], ops[j]] = [ops[j]!, ops[i]!]
  }
  return ops
}

export async function runWorkload(init: WorkloadInit, slots: () => Slot[], nowUs: () => number, signal: AbortSignal): Promise<WorkloadResult> {
  const ops = makeOps(init)
  const random = seededRandom(init.seed ^ 0xbeef)
  const result: WorkloadResult = { enqueued: [], actors: new Map(), failed: 0 }
  const paceMs = init.spreadMs / Math.max(1, ops.length)
  const began = performance.now()
  const pickPeer = (): Slot | undefined => {
    const up = slots().filter(s => s.state === 'up')
    return up[randomInt(random, 0, up.length - 1)]
  }
  await mapLimit(ops, init.inflightMax, async (op, i) => {
    const wait = began + i * paceMs - performance.now()
    if (wait > 0) await sleep(wait)
    if (signal.aborted) return
    if (op.kind === 'actor') await ask(op, pickPeer(), result)
    else await enqueue(op, i, init.seed, pickPeer, nowUs, result)
  })
  return result
}

async function enqueue(op: Op, i: number, seed: number, pickPeer: () => Slot | undefined, nowUs: () => number, result: WorkloadResult): Promise<void> {
  for (let attempt = 0; attempt < ENQUEUE_TRIES_MAX; attempt++) {
    const peer = pickPeer()
    if (peer === undefined) {
      await sleep(500)
      continue
    }
    try {
      const res = await httpJson<{ id: string }>(`${peer.http}/tasks`, {
        body: { name: op.kind === 'any' ? 'work' : 'spread', input: { ms: op.ms }, idempotencyKey: `op-${seed}-${i}` },
        timeoutMs: ENQUEUE_TIMEOUT_MS,
      })
      if (res.status === 202) {
        result.enqueued.push({ id: res.body.id, scope: op.kind === 'any' ? 'any' : 'all', peer: peer.name, t: nowUs() })
        return
      }
    } catch {
      // refused, reset or timed out (a peer killed or paused meanwhile): try another peer
    }
  }
  result.failed++
}

async function ask(op: Op, peer: Slot | undefined, result: WorkloadResult): Promise<void> {
  const address = `acct/k${op.key}`
  const tally = result.actors.get(address) ?? { sent: 0, acked: 0 }
  result.actors.set(address, tally)
  if (peer === undefined) {
    result.failed++
    return
  }
  tally.sent++
  try {
    const res = await httpJson(`${peer.http}/api/bump`, { body: { key: `k${op.key}`, ms: op.ms }, timeoutMs: ASK_TIMEOUT_MS })
    if (res.status === 200) tally.acked++
    else result.failed++
  } catch {
    result.failed++
  }
}

/** Each actor's count, read through any peer that is up (a few tries). */
export async function readActors(actors: Map<string, { sent: number, acked: number }>, slots: () => Slot[]): Promise<ActorTally[]> {
  return mapLimit([...actors], 8, async ([address, tally]) => {
    let final: number | undefined
    for (let attempt = 0; attempt < 5 && final === undefined; attempt++) {
      const up = slots().filter(s => s.state === 'up')
      const peer = up[attempt % up.length]
      if (peer === undefined) break
      try {
        const res = await httpJson<{ count: number }>(`${peer.http}/api/read`, { body: { key: address.slice('acct/'.length) }, timeoutMs: ASK_TIMEOUT_MS })
        if (res.status === 200) final = res.body.count
        else await sleep(500)
      } catch {
        await sleep(500)
      }
    }
    return { address, ...tally, final }
  })
}
