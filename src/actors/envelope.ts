// A message waiting in a mailbox, and the lazily built signal of one turn.
import { deadlineSignal } from '../util/abort.js'

export interface Envelope {
  /** Unique per message and kept across re-sends (see APPLIED_IDS_MAX). */
  id: string
  handler: string
  /** The message, msgpack-encoded (decoded at the start of its turn). */
  message: Uint8Array
  /** Clock ms after which nobody waits for the answer: an ask still queued then is skipped. Asks only. */
  deadline?: number
  /** Present for an ask: settles with the handler's result (after its state change is saved) or error. */
  reply?: { resolve: (value: unknown) => void, reject: (err: unknown) => void }
}

/**
 * The signal a handler sees: the activation's scope, plus the ask's deadline.
 * Built on first access, so handlers that never look at `ctx.signal` cost no
 * timer and no controller.
 */
export class TurnSignal {
  private made: { signal: AbortSignal, clear: () => void } | undefined

  constructor(private readonly scope: AbortSignal, private readonly timeoutMs: number | undefined) {}

  get signal(): AbortSignal {
    if (this.timeoutMs === undefined) return this.scope
    this.made ??= deadlineSignal(this.timeoutMs, this.scope)
    return this.made.signal
  }

  clear(): void {
    this.made?.clear()
  }
}
