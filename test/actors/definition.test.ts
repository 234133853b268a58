// Pure parts: definitions, addresses, limits and their relations, the mailbox.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { actorAddress, parseAddress } from '../../src/actors/address.js'
import { ACTOR_KEY_FORBIDDEN } from '../../src/actors/constants.js'
import { defineActor } from '../../src/actors/define.js'
import { Mailbox } from '../../src/actors/mailbox.js'
import { resolveActorLimits } from '../../src/actors/options.js'

const ok = { type: 'cart', initialState: () => ({}), handlers: { add: () => 1 } }

describe('defineActor', () => {
  it('accepts a valid definition and freezes it', () => {
    const def = defineActor(ok)
    expect(def.type).toBe('cart')
    expect(Object.isFrozen(def)).toBe(true)
    expect(Object.isFrozen(def.handlers)).toBe(true)
  })

  it.each([
    [{ type: 'a/b' }, /invalid actor type/],
    [{ type: '' }, /invalid actor type/],
    [{ type: 'x'.repeat(129) }, /invalid actor type/],
    [{ initialState: {} }, /initialState must be a function/],
    [{ handlers: {} }, /at least one handler/],
    [{ handlers: { 'bad name': () => 1 } }, /invalid handler name/],
    [{ handlers: { add: 1 } }, /handler add must be a function/],
    [{ idleMs: 0 }, /idleMs must be a positive integer/],
    [{ mailboxMax: 1.5 }, /mailboxMax must be an integer/],
    [{ mailboxMax: 2_000_000 }, /mailboxMax must be an integer from 1 to/],
    [{ onActivate: 'yes' }, /onActivate must be a function/],
  ])('refuses %o with a ConfigError', (patch, message) => {
    expect(() => defineActor({ ...ok, ...patch } as never)).toThrow(message)
    expect(() => defineActor({ ...ok, ...patch } as never)).toThrow(expect.objectContaining({ name: 'ConfigError' }) as Error)
  })
})

describe('addresses', () => {
  it('splits at the first slash; keys may contain slashes', () => {
    expect(parseAddress('cart/user-42')).toEqual({ address: 'cart/user-42', type: 'cart', key: 'user-42' })
    expect(parseAddress('files/a/b/c').key).toBe('a/b/c')
    expect(actorAddress('cart', 'u 1')).toBe('cart/u 1')
  })

  it('refuses anything else with InvalidAddressError', () => {
    for (const bad of [42, '', 'cart', '/key', 'cart/', 'ca rt/k', `cart/${'k'.repeat(257)}`, 'cart/a\u0000b']) {
      expect(() => parseAddress(bad)).toThrow(expect.objectContaining({ name: 'InvalidAddressError' }) as Error)
    }
  })

  it('every formatted address parses back to its parts', () => {
    fc.assert(fc.property(
      fc.stringMatching(/^[a-zA-Z0-9_.-]{1,20}$/),
      fc.string({ minLength: 1, maxLength: 50 }).filter(k => !ACTOR_KEY_FORBIDDEN.test(k)),
      (type, key) => {
        const parsed = parseAddress(actorAddress(type, key))
        expect([parsed.type, parsed.key]).toEqual([type, key])
      },
    ))
  })
})

describe('limits', () => {
  it('fills defaults', () => {
    expect(resolveActorLimits({ actors: [] })).toMatchObject({ askTimeoutMs: 10_000, idleMs: 60_000, mailboxMax: 1_000, messageBytesMax: 1024 * 1024, stateReplicas: 2, appliedIdsMax: 16 })
  })

  it.each([
    [{ askTimeoutMs: 0 }, /askTimeoutMs must be an integer >= 1/],
    [{ stateReplicas: -1 }, /stateReplicas must be an integer >= 0/],
    [{ messageBytesMax: 4 * 1024 * 1024 }, /messageBytesMax .* must leave room in a wire frame/],
    [{ stateBytesMax: 8 * 1024 * 1024 }, /stateBytesMax .* must fit one wire frame/],
    [{ retryBackoffMs: 500, retryBackoffMaxMs: 100 }, /retryBackoffMs .* must not exceed retryBackoffMaxMs/],
    [{ askTimeoutMs: 600 }, /stateFetchTimeoutMs x 2 .* must not exceed askTimeoutMs/],
    [{ askTimeoutMs: 2_000 }, /replicateTimeoutMs x 2 .* must not exceed askTimeoutMs/],
    [{ appliedIdsMax: 5_000 }, /appliedIdsMax must be at most 256/],
    [{ stateBytesMax: 3.5 * 1024 * 1024 }, /stateBytesMax .* must fit one wire frame with the applied ids/],
  ])('refuses %o', (patch, message) => {
    expect(() => resolveActorLimits({ actors: [], ...patch })).toThrow(message)
  })

  it('refuses a type defined twice', () => {
    expect(() => resolveActorLimits({ actors: [defineActor(ok), defineActor(ok)] })).toThrow(/defined twice/)
  })
})

describe('Mailbox', () => {
  it('is a bounded FIFO', () => {
    const box = new Mailbox<number>(3)
    expect([box.push(1), box.push(2), box.push(3), box.push(4)]).toEqual([true, true, true, false])
    expect(box.shift()).toBe(1)
    expect(box.push(5)).toBe(true)
    expect(box.drain()).toEqual([2, 3, 5])
    expect(box.size).toBe(0)
    expect(box.shift()).toBeUndefined()
  })

  it('keeps order and size across any sequence of pushes and shifts', () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 5000 }), (ops) => {
      const box = new Mailbox<number>(100)
      const model: number[] = []
      let next = 0
      for (const push of ops) {
        if (push) {
          const accepted = box.push(next)
          expect(accepted).toBe(model.length < 100)
          if (accepted) model.push(next)
          next++
        } else {
          expect(box.shift()).toBe(model.shift())
        }
        expect(box.size).toBe(model.length)
      }
      expect(box.drain()).toEqual(model)
    }))
  })
})
