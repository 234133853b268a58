// The sending side: delivers one message to the peer hosting its actor. The
// first try is made synchronously (local mailbox or messenger queue), so
// messages from one sender to one actor keep their order while its placement
// is stable. When the actor is moving (the peer answers "not the holder", the
// holder is unreachable, or a queued ask was bounced) the message is re-sent,
// to the hinted holder at once or after a short growing pause, until the
// caller's deadline.
import { AbortedError, TimeoutError, UnavailableError } from '../errors.js'
import type { PartitionClaims } from '../tasks/claims.js'
import { pause, type Clock, type Timers } from '../util/clock.js'
import type { Random } from '../util/random.js'
import { raceDeadline } from '../wire/deadline.js'
import type { Messenger } from '../wire/messenger.js'
import type { ActorAddress } from './address.js'
import { CHANNEL_DELIVER, WIRE_VERSION } from './constants.js'
import type { Envelope } from './envelope.js'
import type { ActorHost } from './host.js'
import type { ActorLimits } from './options.js'
import { parseDeliverReply, type DeliverBody } from './wire.js'

export interface RouterDeps {
  self: string
  messenger: Messenger
  claims: Pick<PartitionClaims, 'partitionOf'>
  host: ActorHost
  clock: Clock
  timers: Timers
  random: Random
  limits: Pick<ActorLimits, 'retryBackoffMs' | 'retryBackoffMaxMs'>
}

export interface Outgoing {
  /** The message id, kept across re-sends. */
  id: string
  target: ActorAddress
  handler: string
  message: Uint8Array
  ask: boolean
}

/** Errors after which the message is re-sent: the actor is moving, its host is out of reach, or its state cannot be read, for now. */
const RESEND_NAMES = new Set(['ActorMovedError', 'ActorStateUnavailableError', 'BackpressureError', 'NoHandlerError', 'ActorSystemStoppedError'])

export function shouldResend(err: unknown): boolean {
  // Only our own messenger's UnavailableError: a remote handler's (rebuilt, not an instance) is the handler's answer.
  return err instanceof UnavailableError || (err instanceof Error && RESEND_NAMES.has(err.name))
}

type Attempt = { done: true, value: unknown } | { done: false, hint?: string }

export class Router {
  constructor(private readonly deps: RouterDeps) {}

  /** Resolves with the handler's result (ask) or once accepted (tell). `deadline` is in Clock ms. */
  async send(out: Outgoing, deadline: number, signal: AbortSignal | undefined): Promise<unknown> {
    const label = `${out.ask ? 'ask' : 'tell'} ${out.target.address} ${out.handler}`
    let hint: string | undefined
    let lastErr: unknown
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted === true) throw new AbortedError(`${label} was aborted`, { cause: signal.reason })
      const left = deadline - this.deps.clock.now()
      if (left <= 0) throw new TimeoutError(`${label} timed out: the actor could not be reached`, { cause: lastErr })
      const tried = hint
      try {
        const outcome = await this.attempt(out, left, signal, hint)
        if (outcome.done) return outcome.value
        hint = outcome.hint
      } catch (err) {
        if (!shouldResend(err)) throw err
        lastErr = err
        hint = undefined
      }
      // A fresh hint is tried at once; anything else waits a little for the placement to settle.
      if (hint === undefined || hint === tried) await this.backoff(attempt, deadline, signal)
    }
  }

  private async attempt(out: Outgoing, left: number, signal: AbortSignal | undefined, hint: string | undefined): Promise<Attempt> {
    const { host, clock, messenger, self } = this.deps
    const act = host.place(out.target, out.handler)
    if (act !== undefined) {
      const env: Envelope = { id: out.id, handler: out.handler, message: out.message }
      if (!out.ask) {
        host.deliver(out.target, act, env)
        return { done: true, value: undefined }
      }
      env.deadline = clock.now() + left
      const result = new Promise((resolve, reject) => { env.reply = { resolve, reject } })
      host.deliver(out.target, act, env)
      // The host snapshots results at the end of the turn: no second copy needed.
      return { done: true, value: await raceDeadline(result, left, signal, `ask ${out.target.address} ${out.handler}`, this.deps.timers) }
    }
    const to = hint ?? host.hint(this.deps.claims.partitionOf(out.target.address))
    if (to === undefined) return { done: false }
    const body: DeliverBody = { v: WIRE_VERSION, a: out.target.address, h: out.handler, m: out.message, q: out.id }
    if (out.ask) body.t = left
    const reply = parseDeliverReply(await messenger.request(to, CHANNEL_DELIVER, body, { timeoutMs: left, signal }))
    if ('nh' in reply) return { done: false, hint: reply.hint === self ? undefined : reply.hint }
    return { done: true, value: 'r' in reply ? reply.r : undefined }
  }

  private backoff(attempt: number, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const { retryBackoffMs, retryBackoffMaxMs } = this.deps.limits
    const full = Math.min(retryBackoffMaxMs, retryBackoffMs * 2 ** Math.min(attempt, 20))
    const ms = Math.min(full * (0.5 + this.deps.random.next() / 2), Math.max(0, deadline - this.deps.clock.now()))
    return pause(this.deps.timers, ms, signal)
  }
}
