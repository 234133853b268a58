// The actors the cluster tests use, with a log shared by all peers of what
// ran where (activations, deactivations, turns).
import { defineActor, type ActorDefinition } from '../../src/actors/define.js'
import { z } from 'zod'
import { TroupeError } from '../../src/errors.js'

export interface CounterState {
  n: number
  seen: number[]
}

export interface Events {
  activations: Array<{ peer: string, address: string }>
  deactivations: Array<{ peer: string, address: string, reason: string }>
  aborted: Array<{ peer: string, address: string }>
  /** Turns running right now, per address: more than one would break single activation. */
  running: Map<string, number>
  maxRunning: number
}

export function newEvents(): Events {
  return { activations: [], deactivations: [], aborted: [], running: new Map(), maxRunning: 0 }
}

export class CartError extends TroupeError {
  constructor(message: string) {
    super(message, { code: 'ERR_CART', status: 409 })
    this.name = 'CartError'
  }
}

/** Waits `ms`, or rejects when the signal fires (recording the abort). */
function sleep(ms: number, signal: AbortSignal, onAbort: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => { clearTimeout(t); onAbort(); reject(signal.reason as Error) }, { once: true })
  })
}

export function counterActor(peer: string, events: Events, overrides: { idleMs?: number, mailboxMax?: number, type?: string, replyAfterSave?: boolean } = {}): ActorDefinition<CounterState> {
  const enter = (address: string): void => {
    const n = (events.running.get(address) ?? 0) + 1
    events.running.set(address, n)
    events.maxRunning = Math.max(events.maxRunning, n)
  }
  const leave = (address: string): void => { events.running.set(address, (events.running.get(address) ?? 1) - 1) }
  return defineActor<CounterState>({
    type: overrides.type ?? 'counter',
    initialState: () => ({ n: 0, seen: [] }),
    idleMs: overrides.idleMs,
    mailboxMax: overrides.mailboxMax ?? 2_000,
    replyAfterSave: overrides.replyAfterSave,
    inputs: { add: z.number().int() },
    onActivate: (ctx) => { events.activations.push({ peer, address: ctx.address }) },
    onDeactivate: (ctx, reason) => { events.deactivations.push({ peer, address: ctx.address, reason }) },
    handlers: {
      add: (ctx, by: number) => {
        ctx.state.n += by
        return ctx.state.n
      },
      get: ctx => ctx.state.n,
      push: (ctx, i: number) => { ctx.state.seen.push(i) },
      /** Returns the live state object: callers must still see it as it was after their turn. */
      pushAndShow: (ctx, i: number) => { ctx.state.seen.push(i); return ctx.state },
      seen: ctx => ctx.state.seen,
      where: () => peer,
      fail: (ctx, message: string) => {
        ctx.state.n += 1000
        throw new CartError(message)
      },
      /** Throws what it is sent, as is (a string, a plain object): not an Error. */
      throwValue: (ctx, value: unknown) => {
        ctx.state.n += 1000
        throw value
      },
      sleep: async (ctx, ms: number) => {
        enter(ctx.address)
        try {
          await sleep(ms, ctx.signal, () => events.aborted.push({ peer, address: ctx.address }))
          ctx.state.n += 1
          return peer
        } finally {
          leave(ctx.address)
        }
      },
      askSelf: ctx => ctx.actors.ask(ctx.address, 'get'),
      relay: (ctx, to: string) => ctx.actors.ask(to, 'add', 1),
      fence: ctx => ctx.fence,
    },
  })
}
