// examples/cart: one cart actor per user, changed through every peer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { get, post, startCluster, type Cluster } from './cluster.js'

interface CartView { user: string, items: Array<{ sku: string, qty: number }>, count: number, updates: number, peer: string }

let cluster: Cluster

beforeAll(async () => {
  cluster = await startCluster('examples/cart')
}, 60_000)

afterAll(async () => {
  await cluster?.stop()
})

describe('examples/cart', () => {
  it('30 concurrent adds through 3 peers all land in one cart, seen the same from every peer', async () => {
    const { peers } = cluster
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => post(peers[i % 3]!, 'cart-add', { user: 'ann', sku: `sku-${i}` })))
    expect(results.map(r => r.status)).toEqual(Array(30).fill(200))
    // Turns ran one at a time on one activation: every add saw a different cart.
    expect(new Set(results.map(r => (r.json as CartView).updates)).size).toBe(30)
    for (const peer of peers) {
      const { status, json } = await get(peer, 'cart-get', { user: 'ann' })
      expect(status).toBe(200)
      const cart = json as CartView
      expect(cart.peer).toBe(peer.id)
      expect(cart.items.map(l => l.sku).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `sku-${i}`).sort())
      expect(cart.count).toBe(30)
    }
  })

  it('adds to the same line, removes some or all of it, and keeps carts apart', async () => {
    const [a, b, c] = cluster.peers
    await post(a!, 'cart-add', { user: 'bob', sku: 'tea', qty: 2 })
    await post(b!, 'cart-add', { user: 'bob', sku: 'tea', qty: 3 })
    await post(c!, 'cart-add', { user: 'bob', sku: 'cup' })
    let cart = (await post(a!, 'cart-remove', { user: 'bob', sku: 'tea', qty: 1 })).json as CartView
    expect(cart.items).toEqual([{ sku: 'tea', qty: 4 }, { sku: 'cup', qty: 1 }])
    cart = (await post(b!, 'cart-remove', { user: 'bob', sku: 'cup' })).json as CartView
    expect(cart.items).toEqual([{ sku: 'tea', qty: 4 }])
    cart = (await get(c!, 'cart-get', { user: 'bob' })).json as CartView
    expect(cart).toMatchObject({ user: 'bob', items: [{ sku: 'tea', qty: 4 }], count: 4 })
    expect(((await get(c!, 'cart-get', { user: 'nobody' })).json as CartView).items).toEqual([])
  })

  it('refuses bad input with 422', async () => {
    const [a] = cluster.peers
    expect((await post(a!, 'cart-add', { user: 'ann', sku: 'x', qty: 0 })).status).toBe(422)
    expect((await post(a!, 'cart-add', { user: 'a/b', sku: 'x' })).status).toBe(422)
    expect((await post(a!, 'cart-remove', { user: 'ann' })).status).toBe(422)
  })
})
