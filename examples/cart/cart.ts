// A cart per user: `cart/<user>`. One activation in the whole cluster handles
// its messages one at a time, so adds and removes sent through different
// peers never race; its state is saved and replicated after every change.
import { z } from 'zod'
import { defineActor } from 'troupe'

export const item = z.object({
  sku: z.string().min(1).max(100),
  qty: z.number().int().min(1).max(1_000).default(1),
})

export const removal = z.object({
  sku: z.string().min(1).max(100),
  /** Default: remove the line whatever its quantity. */
  qty: z.number().int().min(1).max(1_000).optional(),
})

export interface CartLine { sku: string, qty: number }

/** Lines in the order they were first added. */
export interface Cart { lines: CartLine[], updates: number }

/**
 * What handlers answer: a copy. The state object itself stays with the actor
 * and keeps changing; a caller on the same peer could see later turns in it.
 */
function snapshot(cart: Cart): Cart {
  return { lines: cart.lines.map(l => ({ ...l })), updates: cart.updates }
}

/** Most distinct items a cart holds. */
const LINES_MAX = 500

export const cart = defineActor({
  type: 'cart',
  initialState: (): Cart => ({ lines: [], updates: 0 }),
  inputs: { add: item, remove: removal },
  handlers: {
    add: (ctx, message: z.output<typeof item>) => {
      const line = ctx.state.lines.find(l => l.sku === message.sku)
      if (line !== undefined) line.qty += message.qty
      else if (ctx.state.lines.length >= LINES_MAX) throw new Error(`a cart holds at most ${LINES_MAX} items`)
      else ctx.state.lines.push({ sku: message.sku, qty: message.qty })
      ctx.state.updates++
      return snapshot(ctx.state)
    },
    remove: (ctx, message: z.output<typeof removal>) => {
      const i = ctx.state.lines.findIndex(l => l.sku === message.sku)
      const line = ctx.state.lines[i]
      if (line === undefined) return snapshot(ctx.state)
      if (message.qty === undefined || message.qty >= line.qty) ctx.state.lines.splice(i, 1)
      else line.qty -= message.qty
      ctx.state.updates++
      return snapshot(ctx.state)
    },
    get: ctx => snapshot(ctx.state),
  },
})
