// Background work of the task plane: promises nobody awaits (pushes, merges,
// sync rounds, collection) are kept until they settle, so stop can wait for
// them before the store closes, and their failures are logged, never lost.

import type { Logger } from '../util/logger.js'

export class Background {
  private readonly inflight = new Set<Promise<unknown>>()

  constructor(private readonly logger: Logger) {}

  /** Work nobody awaits: a failure is logged. */
  track(p: Promise<unknown>): void {
    const tracked = p.catch((err: unknown) => this.logger.warn('task plane background work failed', { err: (err as Error).message }))
      .finally(() => this.inflight.delete(tracked))
    this.inflight.add(tracked)
  }

  /** Work whose caller handles its errors; `settled` still waits for it. Returns `p` as is. */
  guard<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(() => undefined, () => undefined).finally(() => this.inflight.delete(settled))
    this.inflight.add(settled)
    return p
  }

  /** Resolves once everything tracked or guarded so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight])
  }
}
