/* global process */
// The app every benchmarked Troupe peer runs: one action, four tasks, one actor.
// Task handlers report to the parent over IPC only where a test needs timing.
import { z } from 'zod'
import { defineAction, defineActor, defineApp, defineTask } from '../../../dist/index.js'
import { nowMs } from './stats.mjs'

/** Ids of the "noop" tasks this process ran, with how often each ran (more than once = a double run). */
export const ran = new Map()
/** Runs of "noop" tasks, double runs included: `ran`'s counts summed, kept as they happen (a poll reads one number). */
export const runs = { count: 0 }

const send = msg => { if (process.send) process.send(msg) }

const hello = defineAction({
  name: 'hello',
  input: z.object({ name: z.string().default('world') }),
  run: (_ctx, input) => ({ hello: input.name, ok: true }),
})

const noop = defineTask({
  name: 'noop',
  scope: 'any',
  input: z.object({ i: z.number() }),
  run: ctx => { ran.set(ctx.taskId, (ran.get(ctx.taskId) ?? 0) + 1); runs.count++ },
})

// t0: the enqueuer's monotonic clock just before enqueue; the same clock here.
const lat = defineTask({
  name: 'lat',
  scope: 'any',
  input: z.object({ t0: z.number() }),
  run: (ctx, input) => { send({ type: 'started', id: ctx.taskId, ms: nowMs() - input.t0, partition: ctx.partition, peer: ctx.peer.id }) },
})

const fan = defineTask({
  name: 'fan',
  scope: 'all',
  input: z.object({ t0: z.number() }),
  run: (ctx, input) => { send({ type: 'fan', id: ctx.taskId, ms: nowMs() - input.t0 }) },
})

const bench = defineActor({
  type: 'bench',
  initialState: () => ({ n: 0 }),
  handlers: {
    get: ctx => ctx.state.n,
    add: ctx => { ctx.state.n += 1; return ctx.state.n },
  },
})

export const app = defineApp({ name: 'bench', actions: [hello], tasks: [noop, lat, fan], actors: [bench] })
