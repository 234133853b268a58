// Work done later. `tally` ("any") runs on exactly one peer and bumps a
// counter; `announce` ("all") runs on every peer each minute and posts to the
// lobby which peer is alive.
import { z } from 'zod'
import { defineTask } from 'troupe'

export const tally = defineTask({
  name: 'tally',
  scope: 'any',
  input: z.object({ key: z.string().min(1).max(100), by: z.number().int().default(1) }),
  retry: { attempts: 3, backoffMs: 500 },
  run: async (ctx, input) => {
    await ctx.actors.tell(`counter/${input.key}`, 'add', input.by)
  },
})

export const announce = defineTask({
  name: 'announce',
  scope: 'all',
  input: z.object({}),
  frequencyMs: 60_000,
  run: async ctx => {
    await ctx.actors.tell('room/lobby', 'post', { from: ctx.peer.id, text: 'still here', at: new Date().toISOString() })
  },
})
