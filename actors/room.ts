// A chat room per name: `room/<name>`, keeping its last messages.
import { defineActor } from 'troupe'

const KEEP = 50

interface Line { from: string, text: string, at: string }

export const room = defineActor({
  type: 'room',
  initialState: () => ({ lines: [] as Line[] }),
  handlers: {
    post: (ctx, line: Line) => {
      ctx.state.lines.push(line)
      if (ctx.state.lines.length > KEEP) ctx.state.lines.splice(0, ctx.state.lines.length - KEEP)
      return ctx.state.lines.length
    },
    read: ctx => ctx.state.lines,
  },
})
