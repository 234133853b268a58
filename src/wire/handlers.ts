// The channel -> handler table shared by both messengers, and the rules for
// running handlers: a request handler's result or thrown error becomes the
// reply frame; a message handler's error is logged, never sent back.

import { isThenable } from '../util/thenable.js'
import { toErrorShape, TroupeError } from '../errors.js'
import type { MessageHandler, PeerName, RequestHandler } from './messenger.js'
import { NoHandlerError } from './errors.js'
import { channelName, encodeFrame, type Frame } from './frame.js'
import type { WireLogger } from './logger.js'

export class HandlerTable {
  private readonly requests = new Map<string, RequestHandler>()
  private readonly messages = new Map<string, MessageHandler>()

  constructor(private readonly logger: WireLogger) {}

  handle(channel: string, handler: RequestHandler): void {
    channelName(channel)
    if (this.requests.has(channel)) throw new TroupeError(`a request handler for "${channel}" is already registered`, { code: 'ERR_HANDLER_EXISTS' })
    this.requests.set(channel, handler)
  }

  on(channel: string, handler: MessageHandler): void {
    channelName(channel)
    if (this.messages.has(channel)) throw new TroupeError(`a message handler for "${channel}" is already registered`, { code: 'ERR_HANDLER_EXISTS' })
    this.messages.set(channel, handler)
  }

  unhandle(channel: string): void {
    this.requests.delete(channel)
    this.messages.delete(channel)
  }

  /**
   * Runs the request handler and returns the encoded reply frame: at once
   * when the handler returns a plain value (no promise hop on the read path),
   * else a promise. Never throws and never rejects.
   */
  answer(from: PeerName, id: number, channel: string, body: unknown, signal: AbortSignal, frameBytesMax: number): Uint8Array | Promise<Uint8Array> {
    const handler = this.requests.get(channel)
    if (handler === undefined) return encodeReply({ kind: 'response-error', id, error: toErrorShape(new NoHandlerError(channel)) }, frameBytesMax)
    let result: unknown
    try {
      result = handler(from, body, { signal })
    } catch (err) {
      return encodeReply({ kind: 'response-error', id, error: toErrorShape(err) }, frameBytesMax)
    }
    if (!isThenable(result)) return encodeReply({ kind: 'response-ok', id, body: result }, frameBytesMax)
    return Promise.resolve(result).then(
      (value) => encodeReply({ kind: 'response-ok', id, body: value }, frameBytesMax),
      (err: unknown) => encodeReply({ kind: 'response-error', id, error: toErrorShape(err) }, frameBytesMax),
    )
  }

  /** Hands a one-way message to its handler; errors and unknown channels are logged and dropped. */
  deliver(from: PeerName, channel: string, body: unknown): void {
    const handler = this.messages.get(channel)
    if (handler === undefined) {
      this.logger.debug('dropped message for a channel without handler', { from, channel })
      return
    }
    try {
      const result: unknown = handler(from, body)
      // Typed as returning void, but an async handler's rejection must not go unhandled.
      if (result instanceof Promise) result.catch((err: unknown) => this.logger.warn('message handler failed', { from, channel, err }))
    } catch (err) {
      this.logger.warn('message handler failed', { from, channel, err })
    }
  }
}


/** Encodes a reply; a reply that cannot be encoded (too large, unencodable) becomes an error reply instead. */
function encodeReply(reply: Frame, frameBytesMax: number): Uint8Array {
  try {
    return encodeFrame(reply, frameBytesMax)
  } catch (err) {
    const id = reply.kind === 'message' ? 0 : reply.id
    return encodeFrame({ kind: 'response-error', id, error: toErrorShape(err) }, frameBytesMax)
  }
}
