// The Messenger over libp2p: one long-lived `/troupe/link/1.0.0` stream per
// peer pair carries every channel, both directions, multiplexed by request id.
//
// Links are opened on first use (dialing by peer id; libp2p finds addresses in
// its peer store) or accepted from the peer. When both sides open at once, the
// stream opened by the lower peer id wins on both sides (between two streams
// from the same opener, the newer one: the peer restarted); the loser drains
// and closes. Its opener closes it once its own requests are settled, so the
// other side must not have sent requests on it that are still on the way:
// while our own dial to a peer is in flight, a link the peer opened meanwhile
// is not used for our sends (they wait for the dial, then take whichever link
// won). Start after the node, stop before it.

import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ProtocolError, TroupeError, UnavailableError } from '../errors.js'
import { deadlineSignal, scopeController, type AbortOptions } from '../util/abort.js'
import { systemClock, systemTimers, type Clock, type Timers } from '../util/clock.js'
import { PROTOCOL, STREAMS_PER_CONNECTION_MAX, type WireLimits } from './constants.js'
import { checkSignal, raceDeadline } from './deadline.js'
import { channelName } from './frame.js'
import { HandlerTable } from './handlers.js'
import { Link } from './link.js'
import { stderrWireLogger, type WireLogger } from './logger.js'
import type { MessageHandler, Messenger, PeerName, RequestHandler, RequestOptions } from './messenger.js'
import { resolveLimits, resolveTimeouts, type Libp2pMessengerInit } from './options.js'

export interface Libp2pMessengerComponents {
  node: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol'>
  logger?: WireLogger
  /** Observes every frame read or queued for writing, with its size in bytes (metrics). */
  onFrame?: (direction: 'in' | 'out', bytes: number) => void
  clock?: Clock
  timers?: Timers
}

export class Libp2pMessenger implements Messenger {
  private readonly node: Libp2pMessengerComponents['node']
  private readonly self: PeerName
  private readonly logger: WireLogger
  private readonly clock: Clock
  private readonly timers: Timers
  private readonly limits: WireLimits
  private readonly dialTimeoutMs: number
  private readonly closeTimeoutMs: number
  private readonly handlers: HandlerTable
  /** The link new sends to a peer use. */
  private readonly active = new Map<PeerName, Link>()
  /** Every link not yet closed, active or draining. */
  private readonly links = new Set<Link>()
  private readonly dials = new Map<PeerName, Promise<Link>>()
  private readonly onFrame: Libp2pMessengerComponents['onFrame']
  private shutdown = scopeController()
  private running = false

  constructor(components: Libp2pMessengerComponents, init: Libp2pMessengerInit = {}) {
    this.node = components.node
    this.self = components.node.peerId.toString()
    this.logger = components.logger ?? stderrWireLogger
    this.onFrame = components.onFrame
    this.clock = components.clock ?? systemClock
    this.timers = components.timers ?? systemTimers
    this.limits = resolveLimits(init)
    const timeouts = resolveTimeouts(init)
    this.dialTimeoutMs = timeouts.dialTimeoutMs
    this.closeTimeoutMs = timeouts.closeTimeoutMs
    this.handlers = new HandlerTable(this.logger)
  }

  /** Registers the protocol with libp2p. Safe to call twice. */
  async start(): Promise<void> {
    if (this.running) return
    this.shutdown = scopeController()
    await this.node.handle(PROTOCOL, ({ stream, connection }) => { this.accept(stream, connection.remotePeer.toString()) }, {
      maxInboundStreams: STREAMS_PER_CONNECTION_MAX,
      maxOutboundStreams: STREAMS_PER_CONNECTION_MAX,
      // Links are long-lived and carry bulk traffic: not for relayed, limited connections.
      runOnLimitedConnection: false,
    })
    this.running = true
  }

  /** Unregisters the protocol, rejects pending requests with UnavailableError, closes every link. Safe to call twice or before start. */
  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    const reason = new UnavailableError('messenger stopped')
    this.shutdown.abort(reason)
    try {
      await this.node.unhandle(PROTOCOL)
    } catch (err) {
      this.logger.warn('could not unregister the link protocol', { err })
    }
    await Promise.all([...this.links].map(async (link) => link.close(reason)))
    this.active.clear()
  }

  request(to: PeerName, channel: string, body: unknown, options: RequestOptions = {}): Promise<unknown> {
    try {
      channelName(channel)
      if (options.signal?.aborted === true) checkSignal(options.signal, `request "${channel}" to ${to}`)
      const timeoutMs = options.timeoutMs ?? this.limits.requestTimeoutMs
      // With a link open (the usual case) the request goes out before this returns, with no extra promise.
      const link = this.sendableLink(to)
      if (link !== undefined) return link.request(channel, body, timeoutMs, options.signal)
      return this.connectAndRequest(to, channel, body, timeoutMs, options.signal)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private async connectAndRequest(to: PeerName, channel: string, body: unknown, timeoutMs: number, signal: AbortSignal | undefined): Promise<unknown> {
    const started = this.clock.now()
    const link = await this.connect(to, timeoutMs, signal, `request "${channel}" to ${to}`)
    const remainingMs = Math.max(1, timeoutMs - (this.clock.now() - started))
    return link.request(channel, body, remainingMs, signal)
  }

  async send(to: PeerName, channel: string, body: unknown, options: AbortOptions = {}): Promise<void> {
    channelName(channel)
    const label = `message "${channel}" to ${to}`
    checkSignal(options.signal, label)
    const link = this.sendableLink(to) ?? await this.connect(to, this.dialTimeoutMs, options.signal, label)
    link.send(channel, body)
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

  private usableLink(to: PeerName): Link | undefined {
    const link = this.active.get(to)
    return link?.usable === true ? link : undefined
  }

  /**
   * The link a new send to `to` goes out on now; undefined while our own dial
   * to `to` is in flight (the send then waits for it). A link the peer opened
   * during our dial may lose the tie-break to ours, and the peer, as its
   * opener, closes it once its own requests are settled: a request of ours
   * still on the way to it would arrive after that FIN and be lost.
   */
  private sendableLink(to: PeerName): Link | undefined {
    if (this.dials.size !== 0 && this.dials.has(to)) return undefined
    return this.usableLink(to)
  }

  /** Waits for a link to `to`, sharing one dial among concurrent callers. */
  private async connect(to: PeerName, timeoutMs: number, signal: AbortSignal | undefined, label: string): Promise<Link> {
    if (!this.running) throw new UnavailableError('messenger is not started')
    if (to === this.self) throw new UnavailableError('a messenger does not open links to its own peer')
    let dial = this.dials.get(to)
    if (dial === undefined) {
      dial = this.dial(to).finally(() => this.dials.delete(to))
      this.dials.set(to, dial)
    }
    const link = await raceDeadline(dial, timeoutMs, signal, label, this.timers)
    // Between adoption and now the link may have lost a tie-break; its winner is usable.
    const usable = link.usable ? link : this.usableLink(to)
    if (usable === undefined) throw new UnavailableError(`link to ${to} closed while opening`)
    return usable
  }

  private async dial(to: PeerName): Promise<Link> {
    let peerId
    try {
      peerId = peerIdFromString(to)
    } catch (err) {
      throw new ProtocolError(`invalid peer id "${to}"`, { cause: err })
    }
    const { signal, clear } = deadlineSignal(this.dialTimeoutMs, this.shutdown.signal)
    try {
      const stream = await this.node.dialProtocol(peerId, PROTOCOL, { signal, runOnLimitedConnection: false })
      if (!this.running) {
        stream.abort(new UnavailableError('messenger stopped'))
        throw new UnavailableError('messenger stopped')
      }
      return this.adopt(stream, to)
    } catch (err) {
      if (err instanceof TroupeError) throw err
      // Sends waited for this dial rather than use a link the peer opened meanwhile: that link serves them now.
      const accepted = this.usableLink(to)
      if (accepted !== undefined) return accepted
      throw new UnavailableError(`cannot open a link to ${to}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    } finally {
      clear()
    }
  }

  private accept(stream: Stream, from: PeerName): void {
    if (!this.running) {
      stream.abort(new UnavailableError('messenger stopped'))
      return
    }
    this.adopt(stream, from)
  }

  /** Wraps a new stream in a link and settles which link to `remote` is active. Returns the active one. */
  private adopt(stream: Stream, remote: PeerName): Link {
    const link = new Link(stream, {
      remote,
      opener: stream.direction === 'outbound' ? this.self : remote,
      limits: this.limits,
      closeTimeoutMs: this.closeTimeoutMs,
      handlers: this.handlers,
      logger: this.logger,
      timers: this.timers,
      clock: this.clock,
      onRetire: (l) => { if (this.active.get(l.remote) === l) this.active.delete(l.remote) },
      onClosed: (l) => { this.links.delete(l) },
      onFrame: this.onFrame,
    })
    this.links.add(link)
    link.start()
    const current = this.usableLink(remote)
    if (current === undefined || prefer(link, current)) {
      this.active.set(remote, link)
      if (current !== undefined) this.retireLoser(current)
    } else {
      this.retireLoser(link)
    }
    return this.active.get(remote) ?? link
  }

  /**
   * The loser of a tie-break takes no new sends. Its opener closes it once its
   * own requests are answered; the other side keeps answering on it until
   * that FIN, so requests already sent on it are not lost.
   */
  private retireLoser(link: Link): void {
    this.logger.debug('two links to one peer: retiring one', { peer: link.remote, opener: link.opener })
    if (link.opener === this.self) link.drain()
    else link.retire()
  }
}

/** Both peers pick the same winner: the stream opened by the lower peer id; from one opener, the newer stream. */
function prefer(candidate: Link, current: Link): boolean {
  if (candidate.opener !== current.opener) return candidate.opener < current.opener
  return true
}
