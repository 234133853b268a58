// An in-memory network of Messengers for unit tests of protocol shells and for
// the simulator. Frames go through the same codec, size limits and validation
// as on libp2p, and every failure has the same error type: an unreachable,
// stopped or cut-off peer gives UnavailableError, and stopping or cutting
// rejects the requests pending across it at once, as a closing link does.
// Delivery is in order per pair, after an optional injected delay.

import { fromErrorShape, UnavailableError } from '../errors.js'
import type { AbortOptions } from '../util/abort.js'
import { systemClock, systemTimers, type Clock, type Timers } from '../util/clock.js'
import { FRAME_HEADER_BYTES, type WireLimits } from './constants.js'
import { checkSignal } from './deadline.js'
import { BackpressureError } from './errors.js'
import { channelName, decodeFrame, encodeFrame, type Frame } from './frame.js'
import { HandlerTable } from './handlers.js'
import { stderrWireLogger, type WireLogger } from './logger.js'
import type { MessageHandler, Messenger, PeerName, RequestHandler, RequestOptions } from './messenger.js'
import { resolveLimits, type MessengerInit } from './options.js'
import { PendingRequests } from './pending.js'

export interface MemoryNetworkInit {
  /** One-way delay of every frame, or per pair. Default 0 (delivered on a microtask). */
  delayMs?: number | ((from: PeerName, to: PeerName) => number)
  timers?: Timers
  /** The clock `timers` run on (request deadlines are kept in its ms); give both or neither. */
  clock?: Clock
}

export class MemoryNetwork {
  private readonly peers = new Map<PeerName, MemoryMessenger>()
  private readonly cuts = new Set<string>()
  private readonly timers: Timers
  private readonly clock: Clock

  constructor(private readonly init: MemoryNetworkInit = {}) {
    this.timers = init.timers ?? systemTimers
    this.clock = init.clock ?? systemClock
  }

  /** Creates the messenger of peer `name` on this network (not started). */
  messenger(name: PeerName, components: { logger?: WireLogger } = {}, init: MessengerInit = {}): MemoryMessenger {
    if (this.peers.has(name)) throw new Error(`peer ${name} already exists on this network`)
    const m = new MemoryMessenger(name, this, components.logger ?? stderrWireLogger, resolveLimits(init), this.timers, this.clock)
    this.peers.set(name, m)
    return m
  }

  /** Cuts the pair both ways: requests pending between them reject, later sends are UnavailableError. */
  cut(a: PeerName, b: PeerName): void {
    this.cuts.add(pairKey(a, b))
    this.peers.get(a)?.dropPeer(b, new UnavailableError(`network cut between ${a} and ${b}`))
    this.peers.get(b)?.dropPeer(a, new UnavailableError(`network cut between ${a} and ${b}`))
  }

  /** Restores every cut pair. */
  heal(): void {
    this.cuts.clear()
  }

  /** The running messenger `to`, if `from` can reach it now. */
  reachable(from: PeerName, to: PeerName): MemoryMessenger | undefined {
    const target = this.peers.get(to)
    if (target === undefined || !target.running || from === to || this.cuts.has(pairKey(from, to))) return undefined
    return target
  }

  /** Carries one encoded frame; it is dropped if the pair is no longer connected on arrival. */
  transmit(from: PeerName, to: PeerName, bytes: Uint8Array): void {
    const arrive = (): void => {
      const sender = this.reachable(to, from)
      if (sender === undefined) return
      this.reachable(from, to)?.receive(from, bytes)
    }
    const d = typeof this.init.delayMs === 'function' ? this.init.delayMs(from, to) : (this.init.delayMs ?? 0)
    if (d <= 0) queueMicrotask(arrive)
    else this.timers.setTimeout(arrive, d)
  }

  /** A stopping peer: everyone with requests pending to it gets UnavailableError now. */
  peerStopped(name: PeerName): void {
    for (const p of this.peers.values()) if (p.name !== name) p.dropPeer(name, new UnavailableError(`peer ${name} stopped`))
  }
}

/** The per-remote state a link would hold. */
interface Remote {
  pending: PendingRequests
  owedReplies: number
  scope: AbortController
}

export class MemoryMessenger implements Messenger {
  running = false
  private readonly handlers: HandlerTable
  private readonly remotes = new Map<PeerName, Remote>()

  constructor(
    readonly name: PeerName,
    private readonly network: MemoryNetwork,
    private readonly logger: WireLogger,
    private readonly limits: WireLimits,
    private readonly timers: Timers,
    private readonly clock: Clock,
  ) {
    this.handlers = new HandlerTable(logger)
  }

  async start(): Promise<void> {
    this.running = true
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    for (const peer of [...this.remotes.keys()]) this.dropPeer(peer, new UnavailableError('messenger stopped'))
    this.network.peerStopped(this.name)
  }

  async request(to: PeerName, channel: string, body: unknown, options: RequestOptions = {}): Promise<unknown> {
    channelName(channel)
    checkSignal(options.signal, `request "${channel}" to ${to}`)
    this.checkReachable(to)
    const remote = this.remote(to)
    if (remote.pending.size >= this.limits.inflightRequestsMax) {
      throw new BackpressureError(`${remote.pending.size} requests already in flight to ${to}`)
    }
    const id = remote.pending.allocateId()
    const bytes = encodeFrame({ kind: 'request', id, channel, body }, this.limits.frameBytesMax)
    const reply = remote.pending.add(id, { timeoutMs: options.timeoutMs ?? this.limits.requestTimeoutMs, signal: options.signal, label: `"${channel}" to ${to}` })
    this.network.transmit(this.name, to, bytes)
    return reply
  }

  async send(to: PeerName, channel: string, body: unknown, options: AbortOptions = {}): Promise<void> {
    channelName(channel)
    checkSignal(options.signal, `message "${channel}" to ${to}`)
    this.checkReachable(to)
    this.network.transmit(this.name, to, encodeFrame({ kind: 'message', channel, body }, this.limits.frameBytesMax))
  }

  handle(channel: string, handler: RequestHandler): void {
    this.handlers.handle(channel, handler)
  }

  on(channel: string, handler: MessageHandler): void {
    this.handlers.on(channel, handler)
  }

  unhandle(channel: string): void {
    this.handlers.unhandle(channel)
  }

  /** Rejects what is pending to `peer` and tells handlers serving it to stop. */
  dropPeer(peer: PeerName, reason: Error): void {
    const remote = this.remotes.get(peer)
    if (remote === undefined) return
    remote.pending.rejectAll(reason)
    remote.scope.abort(reason)
    remote.scope = new AbortController()
  }

  /** A frame from `from` arrives. */
  receive(from: PeerName, bytes: Uint8Array): void {
    let frame: Frame
    try {
      // Drop the length prefix the encoder added: the memory network has no byte stream to frame.
      frame = decodeFrame(bytes.subarray(FRAME_HEADER_BYTES))
    } catch (err) {
      this.logger.warn('dropped a malformed frame', { from, reason: (err as Error).message })
      return
    }
    const remote = this.remote(from)
    switch (frame.kind) {
      case 'request': return this.answer(from, remote, frame.id, frame.channel, frame.body)
      case 'message': return this.handlers.deliver(from, frame.channel, frame.body)
      case 'response-ok':
        remote.pending.resolve(frame.id, frame.body)
        return
      case 'response-error':
        remote.pending.reject(frame.id, fromErrorShape(frame.error))
    }
  }

  private answer(from: PeerName, remote: Remote, id: number, channel: string, body: unknown): void {
    if (remote.owedReplies >= this.limits.inboundRequestsMax) {
      const err = new BackpressureError(`${remote.owedReplies} requests from ${from} already running`)
      this.network.transmit(this.name, from, encodeFrame({ kind: 'response-error', id, error: { name: err.name, message: err.message, code: err.code, retryable: true, status: err.status } }))
      return
    }
    remote.owedReplies++
    Promise.resolve(this.handlers.answer(from, id, channel, body, remote.scope.signal, this.limits.frameBytesMax))
      .then((reply) => this.network.transmit(this.name, from, reply), (err: unknown) => this.logger.warn('could not build a reply', { to: from, channel, err }))
      .finally(() => { remote.owedReplies-- })
  }

  private checkReachable(to: PeerName): void {
    if (!this.running) throw new UnavailableError('messenger is not started')
    if (this.network.reachable(this.name, to) === undefined) throw new UnavailableError(`peer ${to} is unreachable`)
  }

  private remote(peer: PeerName): Remote {
    let r = this.remotes.get(peer)
    if (r === undefined) {
      r = { pending: new PendingRequests(this.timers, this.clock), owedReplies: 0, scope: new AbortController() }
      this.remotes.set(peer, r)
    }
    return r
  }
}

function pairKey(a: PeerName, b: PeerName): string {
  return a < b ? `${a}\n${b}` : `${b}\n${a}`
}
