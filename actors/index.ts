// The default app that `npm start` runs. Actions answer on whichever peer
// receives the request; see README for the shape of an app.
import { z } from 'zod'
import { defineAction, defineApp } from 'troupe'

const hello = defineAction({
  name: 'hello',
  description: 'Greets you from the peer that answered.',
  input: z.object({ name: z.string().min(1).max(100).default('world') }),
  run: (ctx, input) => ({ greeting: `hello, ${input.name}`, peer: ctx.peer.id }),
})

const add = defineAction({
  name: 'add',
  description: 'Adds two numbers (GET /api/add?a=1&b=2 or POST a JSON body).',
  input: z.object({ a: z.coerce.number(), b: z.coerce.number() }),
  run: (_ctx, input) => ({ sum: input.a + input.b }),
})

export default defineApp({ name: 'troupe-default', actions: [hello, add] })
