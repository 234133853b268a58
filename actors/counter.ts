// A counter per key: `counter/<key>`. One activation cluster-wide; its count
// survives the crash of its host (saved and replicated after every change).
import { defineActor } from 'troupe'

export const counter = defineActor({
  type: 'counter',
  initialState: () => ({ count: 0 }),
  handlers: {
    add: (ctx, by: unknown) => {
      ctx.state.count += typeof by === 'number' ? by : 1
      return ctx.state.count
    },
    get: ctx => ctx.state.count,
  },
})
