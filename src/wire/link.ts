// One long-lived stream to one peer, carrying every channel both ways.
//
// Life of a link: open -> retired -> closed.
//  - open: used for new requests and messages.
//  - retired: no new sends, but replies still go out. A link retires when it
//    loses the simultaneous-open tie-break, or when it closes. The side that
//    opened a losing link drains it: its write end closes (FIN) once its own
//    requests are settled (answered, timed out or aborted) and the replies it
//    owes are written. The other side keeps its write end open, answering
//    whatever arrives, until that FIN.
//  - On the peer's FIN our pending requests can no longer be answered: they
//    reject at once, and we flush what is queued and FIN back.
//  - closed: both ends done, or aborted (reset, framing error, close timeout).

import type { Stream } from '@libp2p/interface'
import { fromErrorShape, ProtocolError, toErrorShape, UnavailableError } from '../errors.js'
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from '../util/clock.js'
import type { PeerName } from './messenger.js'
import { FRAME_HEADER_BYTES, READ_FRAMES_PER_TURN, type WireLimits } from './constants.js'
import { BackpressureError } from './errors.js'
import { decodeFrame, encodeFrame, peekRequestId, type Frame } from './frame.js'
import { FrameDecoder } from './framing.js'
import type { HandlerTable } from './handlers.js'
import type { WireLogger } from './logger.js'
import { canSendDirectly, DirectWriter } from './direct-writer.js'
import { Outbox } from './outbox.js'
import { PendingRequests } from './pending.js'
import { scopeController } from '../util/abort.js'

export type LinkStream = Pick<Stream, 'source' | 'sink' | 'abort' | 'direction' | 'status' | 'writeStatus'>

export interface LinkInit {
  remote: PeerName
  /** The peer that opened the stream; decides simultaneous-open tie-breaks. */
  opener: PeerName
  limits: WireLimits
  closeTimeoutMs: number
  handlers: HandlerTable
  logger: WireLogger
  timers?: Timers
  /** The clock `timers` run on (request deadlines are kept in its ms). */
  clock?: Clock
  /** Called once when the link stops taking new sends (draining or closed). */
  onRetire: (link: Link) => void
  /** Called once when the link is fully closed. */
  onClosed: (link: Link) => void
  /** Observes every whole frame read or queued for writing (metrics). */
  onFrame?: (direction: 'in' | 'out', bytes: number) => void
}

export class Link {
  readonly remote: PeerName
  readonly opener: PeerName
  private readonly pending: PendingRequests
  private readonly outbox: Outbox
  private readonly decoder: FrameDecoder
  /** Aborted when the link dies: handlers still running for this peer should give up. */
  private readonly handlerScope = scopeController()
  private owedReplies = 0
  private retired = false
  /** We opened this link and it lost a tie-break: our write end closes once nothing is owed either way. */
  private draining = false
  private readEnded = false
  private writeEnded = false
  private closed = false
  private closeTimer: TimerHandle | undefined
  private writer: DirectWriter | undefined
  private readonly timers: Timers
  private readonly closedPromise: Promise<void>
  private resolveClosed!: () => void

  constructor(private readonly stream: LinkStream, private readonly init: LinkInit) {
    this.remote = init.remote
    this.opener = init.opener
    this.timers = init.timers ?? systemTimers
    this.pending = new PendingRequests(this.timers, init.clock ?? systemClock, () => { this.maybeEndWrite() })
    this.outbox = new Outbox(init.limits)
    this.decoder = new FrameDecoder(init.limits.frameBytesMax)
    this.closedPromise = new Promise((resolve) => { this.resolveClosed = resolve })
  }

  /** True while new requests and messages may use this link. */
  get usable(): boolean {
    return !this.retired
  }

  get pendingRequests(): number {
    return this.pending.size
  }

  start(): void {
    if (canSendDirectly(this.stream)) {
      // The usual case over libp2p: frames go to the muxer without the sink's iterator chain (see direct-writer.ts).
      this.writer = new DirectWriter(this.stream, this.outbox, { onEnd: () => this.onWriteEnd(), onError: (err) => this.abort(err, 'write failed') })
      this.writer.start()
    } else {
      this.stream.sink(this.outbox.source()).then(() => this.onWriteEnd(), (err: unknown) => this.abort(err, 'write failed'))
    }
    this.readLoop().catch((err: unknown) => this.abort(err, 'read failed'))
  }

  /** Sends a request; throws (synchronously) UnavailableError, BackpressureError, PayloadTooLargeError or ProtocolError. */
  request(channel: string, body: unknown, timeoutMs: number, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.retired) throw new UnavailableError(`link to ${this.remote} is closing`)
    if (this.pending.size >= this.init.limits.inflightRequestsMax) {
      throw new BackpressureError(`${this.pending.size} requests already in flight to ${this.remote}`)
    }
    const id = this.pending.allocateId()
    this.write(encodeFrame({ kind: 'request', id, channel, body }, this.init.limits.frameBytesMax))
    return this.pending.add(id, { timeoutMs, signal, label: `"${channel}" to ${this.remote}` })
  }

  /** Queues a one-way message; throws like `request`. */
  send(channel: string, body: unknown): void {
    if (this.retired) throw new UnavailableError(`link to ${this.remote} is closing`)
    this.write(encodeFrame({ kind: 'message', channel, body }, this.init.limits.frameBytesMax))
  }

  /** Stops new sends; the write end closes once nothing is owed either way (for the side that opened the link). */
  drain(): void {
    this.draining = true
    this.retire()
    this.maybeEndWrite()
  }

  /**
   * Closes now: pending requests reject with `reason`, running handlers are
   * told to stop, queued frames are flushed, then the stream is dropped.
   */
  async close(reason: Error): Promise<void> {
    if (this.closed) return
    this.retire()
    this.pending.rejectAll(reason)
    this.handlerScope.abort(reason)
    this.outbox.end()
    // The remote answers our FIN with its own; if it does not, abort after closeTimeoutMs.
    this.armCloseTimer()
    await this.closedPromise
  }

  private write(frame: Uint8Array): void {
    this.outbox.push(frame)
    this.init.onFrame?.('out', frame.byteLength)
  }

  private async readLoop(): Promise<void> {
    for await (const chunk of this.stream.source) {
      // At most READ_FRAMES_PER_TURN frames between two turns of the event loop: their answers leave meanwhile.
      const payloads = this.decoder.push(chunk)
      for (let i = 0; i < payloads.length; i++) {
        const payload = payloads[i]!
        this.init.onFrame?.('in', payload.byteLength + FRAME_HEADER_BYTES)
        this.onPayload(payload)
        if ((i + 1) % READ_FRAMES_PER_TURN === 0 && i + 1 < payloads.length) await yieldTurn()
      }
    }
    this.decoder.end()
    this.onReadEnd()
  }

  private onPayload(payload: Uint8Array): void {
    let frame: Frame
    try {
      frame = decodeFrame(payload)
    } catch (err) {
      const reason = (err as Error).message
      this.init.logger.warn('dropped a malformed frame', { from: this.remote, reason, bytes: payload.byteLength })
      const id = peekRequestId(payload)
      // A request whose body does not decode: its sender learns why now rather than at its timeout.
      if (id !== undefined && !this.outbox.isEnded) {
        const refusal = new ProtocolError(`the peer could not decode the request: ${reason}`)
        this.reply(encodeFrame({ kind: 'response-error', id, error: toErrorShape(refusal) }, this.init.limits.frameBytesMax), 'undecodable')
      }
      return
    }
    switch (frame.kind) {
      case 'request': return this.onRequest(frame.id, frame.channel, frame.body)
      case 'message': return this.init.handlers.deliver(this.remote, frame.channel, frame.body)
      case 'response-ok':
        if (!this.pending.resolve(frame.id, frame.body)) this.init.logger.debug('dropped a reply to no pending request', { from: this.remote, id: frame.id })
        return
      case 'response-error':
        if (!this.pending.reject(frame.id, fromErrorShape(frame.error))) this.init.logger.debug('dropped a reply to no pending request', { from: this.remote, id: frame.id })
    }
  }

  private onRequest(id: number, channel: string, body: unknown): void {
    if (this.outbox.isEnded) {
      this.init.logger.debug('dropped a request on a link whose write end is closed', { from: this.remote, channel })
      return
    }
    const { frameBytesMax, inboundRequestsMax } = this.init.limits
    if (this.owedReplies >= inboundRequestsMax) {
      const refusal = new BackpressureError(`${this.owedReplies} requests from ${this.remote} already running`)
      this.reply(encodeFrame({ kind: 'response-error', id, error: { name: refusal.name, message: refusal.message, code: refusal.code, retryable: true, status: refusal.status } }, frameBytesMax), channel)
      return
    }
    this.owedReplies++
    const answer = this.init.handlers.answer(this.remote, id, channel, body, this.handlerScope.signal, frameBytesMax)
    if (answer instanceof Promise) {
      answer.then((bytes) => this.replied(bytes, channel), (err: unknown) => {
        this.init.logger.warn('could not build a reply', { to: this.remote, channel, err })
        this.replied(undefined, channel)
      })
    } else {
      this.replied(answer, channel)
    }
  }

  /** A reply we owed is ready (or could not be built): send it, and close the write end if that was the last thing owed. */
  private replied(bytes: Uint8Array | undefined, channel: string): void {
    if (bytes !== undefined) this.reply(bytes, channel)
    this.owedReplies--
    this.maybeEndWrite()
  }

  private reply(bytes: Uint8Array, channel: string): void {
    if (this.outbox.isEnded) {
      this.init.logger.debug('dropped a reply: link closing', { to: this.remote, channel })
      return
    }
    try {
      this.write(bytes)
    } catch (err) {
      // The peer is not reading its replies; it will see a timeout for this one.
      this.init.logger.warn('dropped a reply: outbound queue full', { to: this.remote, channel, err })
    }
  }

  /**
   * The peer sent FIN: either it drained (nothing owed either way) or it is
   * stopping (it gave up on its requests). Replies we still owe are useless,
   * so we flush what is queued and FIN back at once.
   */
  private onReadEnd(): void {
    this.readEnded = true
    const reason = new UnavailableError(`peer ${this.remote} closed the link`)
    this.retire()
    this.pending.rejectAll(reason)
    this.handlerScope.abort(reason)
    this.outbox.end()
    this.maybeFinish()
  }

  private onWriteEnd(): void {
    this.writeEnded = true
    this.armCloseTimer()
    this.maybeFinish()
  }

  /**
   * Only a draining link ends its write end by itself: the peer may still be
   * sending requests on a link it merely retired, and a request arriving
   * after our FIN would be dropped unanswered.
   */
  private maybeEndWrite(): void {
    if (this.draining && !this.closed && !this.outbox.isEnded && this.pending.size === 0 && this.owedReplies === 0) this.outbox.end()
  }

  private maybeFinish(): void {
    if (this.readEnded && (this.writeEnded || this.streamWriteDead())) this.finish()
  }

  /**
   * After negotiation libp2p wraps the stream's sink in a byte-stream adapter
   * whose promise never settles once the stream is gone (connection closed or
   * reset), so a dead write end is read from the stream's own status.
   */
  private streamWriteDead(): boolean {
    return this.stream.writeStatus === 'closed' || (this.stream.status !== 'open' && this.stream.status !== 'closing')
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== undefined || this.closed) return
    this.closeTimer = this.timers.setTimeout(() => {
      this.abort(new UnavailableError(`link to ${this.remote} did not close within ${this.init.closeTimeoutMs} ms`), 'close timed out')
    }, this.init.closeTimeoutMs)
  }

  /** Drops the link at once: the stream is reset, everything pending rejects. */
  private abort(err: unknown, why: string): void {
    if (this.closed) return
    const log = this.readEnded || this.retired ? this.init.logger.debug : this.init.logger.warn
    log.call(this.init.logger, `link aborted: ${why}`, { peer: this.remote, err })
    const reason = new UnavailableError(`link to ${this.remote} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err })
    this.pending.rejectAll(reason)
    this.handlerScope.abort(reason)
    this.writer?.stop()
    this.outbox.discard()
    this.stream.abort(err instanceof Error ? err : reason)
    this.finish()
  }

  /** Stops new sends but keeps the write end open for replies, until the peer's FIN. */
  retire(): void {
    if (this.retired) return
    this.retired = true
    this.init.onRetire(this)
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    this.retire()
    if (this.closeTimer !== undefined) this.timers.clearTimeout(this.closeTimer)
    this.pending.rejectAll(new UnavailableError(`link to ${this.remote} closed`))
    this.writer?.stop()
    this.outbox.discard()
    this.init.onClosed(this)
    this.resolveClosed()
  }
}

/** Resolves once the event loop has turned (after I/O): what the handled frames wrote goes out meanwhile. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => { setImmediate(resolve) })
}
