// Writes a link's outbox straight into the muxed stream, without the sink's
// iterator chain.
//
// libp2p 2.x hands every protocol stream out with its `sink` replaced by
// multistream-select's byte-stream adapter, kept for the stream's whole life:
// each chunk we write goes through our outbox's async iterator, the adapter's
// `for await` and queueless pushable (a promise, a raced abort signal), then
// the stream's own sink loop (`for await` again, a deferred per write) before
// it reaches the muxer. A stream built on @libp2p/utils' AbstractStream (yamux's
// streams are) exposes the step all of that ends in: `sendData`, which frames
// the bytes for the muxer synchronously (and waits only when the peer's window
// is used up). Calling it ourselves leaves the wire bytes, their order, flow
// control and the close (FIN through `closeWrite`) exactly as before.
//
// Frames queued in one tick still leave as one chunk: a flush runs as a
// microtask after the first frame, and a flush never starts while a previous
// `sendData` is still waiting for window, so writes stay in order.

import { Uint8ArrayList } from 'uint8arraylist'
import type { AbortOptions } from '../util/abort.js'
import type { Outbox } from './outbox.js'

/** The part of @libp2p/utils' AbstractStream (yamux's streams extend it) a DirectWriter uses. */
export interface DataSendingStream {
  sendData(data: Uint8ArrayList, options?: AbortOptions): void | Promise<void>
  closeWrite(options?: AbortOptions): Promise<void>
  readonly status: string
  readonly writeStatus?: string
}

/**
 * True when `stream` can take bytes through `sendData` now: an AbstractStream
 * whose own sink is already running (libp2p started it on the byte-stream
 * adapter during protocol negotiation) and still open for writing.
 */
export function canSendDirectly(stream: unknown): stream is DataSendingStream {
  const s = stream as Partial<DataSendingStream> | undefined
  return typeof s?.sendData === 'function' && typeof s.closeWrite === 'function' && s.writeStatus === 'writing' && s.status === 'open'
}

export interface DirectWriterEvents {
  /** Everything queued was written and the write end closed (FIN sent). */
  onEnd: () => void
  /** A write or the close failed, or the stream's write end went away under us. */
  onError: (err: unknown) => void
}

export class DirectWriter {
  private scheduled = false
  private sending = false
  private finished = false
  private readonly controller = new AbortController()
  private readonly sendOptions: AbortOptions = { signal: this.controller.signal }

  constructor(private readonly stream: DataSendingStream, private readonly outbox: Outbox, private readonly events: DirectWriterEvents) {}

  /** Starts writing: every frame the outbox takes from now on (and what it holds already) goes to the stream. */
  start(): void {
    this.outbox.onReady(() => { this.schedule() })
    this.schedule()
  }

  /** Stops at once (the link is aborting): a write waiting for window gives up, nothing more is written. */
  stop(): void {
    this.finished = true
    this.controller.abort()
  }

  private schedule(): void {
    if (this.scheduled || this.sending || this.finished) return
    this.scheduled = true
    queueMicrotask(() => { this.flush() })
  }

  private flush(): void {
    this.scheduled = false
    if (this.sending || this.finished) return
    const chunk = this.outbox.take()
    if (chunk === undefined) {
      if (this.outbox.isEnded) this.end()
      return
    }
    const { status, writeStatus } = this.stream
    if ((status !== 'open' && status !== 'closing') || writeStatus !== 'writing') {
      this.fail(new Error(`stream is not writable (status ${status}, write status ${writeStatus})`))
      return
    }
    let sent: void | Promise<void>
    try {
      sent = this.stream.sendData(new Uint8ArrayList(chunk), this.sendOptions)
    } catch (err) {
      this.fail(err)
      return
    }
    if (sent instanceof Promise) {
      // Resolves once the bytes are framed; it waits only when the peer's window is used up.
      this.sending = true
      sent.then(() => {
        this.sending = false
        this.scheduleIfOwed()
      }, (err: unknown) => { this.fail(err) })
    } else {
      this.scheduleIfOwed()
    }
  }

  private scheduleIfOwed(): void {
    if (this.outbox.queuedFrames > 0 || this.outbox.isEnded) this.schedule()
  }

  private end(): void {
    if (this.finished) return
    this.finished = true
    this.stream.closeWrite().then(() => { this.events.onEnd() }, (err: unknown) => { this.events.onError(err) })
  }

  private fail(err: unknown): void {
    if (this.finished) return
    this.finished = true
    this.events.onError(err)
  }
}
