// The app of the dashboard test's peers (in-process and CLI alike): a no-op
// "any" task, one that always fails, and a counter actor.
import { z } from 'zod'
import { defineAction, defineActor, defineApp, defineTask } from 'troupe'

const noop = defineTask({ name: 'noop', scope: 'any', input: z.object({}), run: () => undefined })

const broken = defineTask({
  name: 'broken',
  scope: 'any',
  input: z.object({}),
  run: () => { throw new Error('broken on purpose') },
})

const counter = defineActor({
  type: 'counter',
  initialState: () => ({ n: 0 }),
  handlers: { add: (ctx, by: unknown) => { ctx.state.n += Number(by); return ctx.state.n } },
})

const add = defineAction({
  name: 'add',
  input: z.object({ key: z.string(), by: z.number().int() }),
  run: (ctx, input) => ctx.actors.ask(`counter/${input.key}`, 'add', input.by),
})

export default defineApp({ name: 'dashboard-test', actions: [add], actors: [counter], tasks: [noop, broken] })
