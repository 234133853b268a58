// Cart: a `cart` actor per user, and actions that reach it from whichever
// peer receives the request. The cart lives on one peer (wherever its lease
// partition is held); the others forward to it.
import { z } from 'zod'
import { defineAction, defineApp } from 'troupe'
import { cart, item, removal, type Cart } from './cart.js'

const user = z.string().min(1).max(100).regex(/^[a-zA-Z0-9_.@-]+$/, 'letters, digits and _.@- only')

/** What every cart action answers: the cart, its item count, and which peer answered. */
function view(u: string, c: Cart, peer: string) {
  return { user: u, items: c.lines, count: c.lines.reduce((n, l) => n + l.qty, 0), updates: c.updates, peer }
}

const cartAdd = defineAction({
  name: 'cart-add',
  description: 'Adds `qty` (default 1) of `sku` to the cart of `user`.',
  input: item.extend({ user }),
  get: false,
  run: async (ctx, { user: u, ...line }) => view(u, await ctx.actors.ask<Cart>(`cart/${u}`, 'add', line), ctx.peer.id),
})

const cartRemove = defineAction({
  name: 'cart-remove',
  description: 'Removes `qty` (default all) of `sku` from the cart of `user`.',
  input: removal.extend({ user }),
  get: false,
  run: async (ctx, { user: u, ...line }) => view(u, await ctx.actors.ask<Cart>(`cart/${u}`, 'remove', line), ctx.peer.id),
})

const cartGet = defineAction({
  name: 'cart-get',
  description: 'Shows the cart of `user`.',
  input: z.object({ user }),
  run: async (ctx, input) => view(input.user, await ctx.actors.ask<Cart>(`cart/${input.user}`, 'get'), ctx.peer.id),
})

export default defineApp({
  name: 'cart',
  actions: [cartAdd, cartRemove, cartGet],
  actors: [cart],
})
