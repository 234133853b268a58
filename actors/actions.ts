// Actions answer on whichever peer receives the request; they reach actors
// and tasks anywhere in the cluster through ctx.actors and ctx.tasks.
import { z } from 'zod'
import { defineAction } from 'troupe'

export const hello = defineAction({
  name: 'hello',
  description: 'Greets you from the peer that answered.',
  input: z.object({ name: z.string().min(1).max(100).default('world') }),
  run: (ctx, input) => ({ greeting: `hello, ${input.name}`, peer: ctx.peer.id }),
})

export const add = defineAction({
  name: 'add',
  description: 'Adds two numbers (GET /api/add?a=1&b=2 or POST a JSON body).',
  input: z.object({ a: z.coerce.number(), b: z.coerce.number() }),
  run: (_ctx, input) => ({ sum: input.a + input.b }),
})

export const readCounter = defineAction({
  name: 'counter',
  description: 'Adds `by` (default 0) to the counter `key` and returns its value.',
  input: z.object({ key: z.string().min(1).max(100), by: z.coerce.number().int().default(0) }),
  get: true,
  run: async (ctx, input) => ({ key: input.key, count: await ctx.actors.ask(`counter/${input.key}`, 'add', input.by) }),
})

export const tallyLater = defineAction({
  name: 'tally',
  description: 'Enqueues an "any" task that adds `by` to the counter `key` on some peer.',
  input: z.object({ key: z.string().min(1).max(100), by: z.number().int().default(1) }),
  get: false,
  run: async (ctx, input) => ({ task: await ctx.tasks.enqueue('tally', input) }),
})

export const post = defineAction({
  name: 'post',
  description: 'Posts a line to a chat room.',
  input: z.object({ room: z.string().min(1).max(100).default('lobby'), from: z.string().min(1).max(100), text: z.string().min(1).max(1000) }),
  get: false,
  run: async (ctx, input) => ({
    lines: await ctx.actors.ask(`room/${input.room}`, 'post', { from: input.from, text: input.text, at: new Date().toISOString() }),
  }),
})

export const read = defineAction({
  name: 'read',
  description: 'Reads the last lines of a chat room.',
  input: z.object({ room: z.string().min(1).max(100).default('lobby') }),
  run: async (ctx, input) => ({ lines: await ctx.actors.ask(`room/${input.room}`, 'read') }),
})
