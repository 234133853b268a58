// The contract between our protocols (membership, leases, task sync, actor
// messages) and the network. Protocol shells speak to peers only through a
// Messenger; the libp2p implementation carries every channel over one
// long-lived, multiplexed stream per peer pair, and an in-memory one serves
// tests and the simulator. Both pass the same contract suite.

import type { AbortOptions } from '../util/abort.js'

/** A peer id in its string form. */
export type PeerName = string

export interface RequestOptions extends AbortOptions {
  /** Give up after this long; defaults to the messenger's `requestTimeoutMs`. */
  timeoutMs?: number
}

/** Answers a request; a thrown error travels back as a named error (see errors.ts). */
export type RequestHandler = (from: PeerName, body: unknown, options: Required<AbortOptions>) => unknown | Promise<unknown>

/** Receives a one-way message. Errors are logged by the messenger, never sent back. */
export type MessageHandler = (from: PeerName, body: unknown) => void

export interface Messenger {
  /** Sends a request on a channel and resolves with the reply body. Rejects with UnavailableError, TimeoutError, AbortedError, or the remote handler's named error. */
  request(to: PeerName, channel: string, body: unknown, options?: RequestOptions): Promise<unknown>
  /** Sends a one-way message; resolves once queued for writing (not delivered). Rejects with UnavailableError if the peer cannot be reached. */
  send(to: PeerName, channel: string, body: unknown, options?: AbortOptions): Promise<void>
  /** Registers the handler for requests on a channel. One handler per channel. */
  handle(channel: string, handler: RequestHandler): void
  /** Registers the handler for one-way messages on a channel. One handler per channel. */
  on(channel: string, handler: MessageHandler): void
  unhandle(channel: string): void
}
