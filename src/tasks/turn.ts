// The runner's turn budget: a backlog of short tasks must not hold the event loop.
/**
 * How long (ms) one turn of the event loop may go on starting attempts; the next look then waits for the next turn.
 * A handler that returns at once ends in a microtask, and its end looks for the next task in another: without this
 * bound a backlog of short tasks ran to its end in one turn, during which nothing else ran (lease renewals, gossip,
 * commits), however long the backlog. Not shorter: a peer that runs its own backlog first, before the outcomes
 * arriving from the others, commits its own sooner (yielding every 256 starts took a queued drain's last commit on its
 * runner from ~460 to ~700 ms, at the same CPU).
 */
export const TURN_RUN_MS = 50

/** Tells whether this turn has started attempts for TURN_RUN_MS; reset by an immediate queued at the turn's first start. */
export class TurnBudget {
  /** When (monotonic ms) this turn started its first attempt; undefined: none yet. */
  private startedAt: number | undefined

  constructor(private readonly now: () => number, private readonly budgetMs = TURN_RUN_MS) {}

  /** An attempt starts. The reset is queued before any look deferred by the budget, so that look finds it reset. */
  started(): void {
    if (this.startedAt !== undefined) return
    this.startedAt = this.now()
    setImmediate(this.reset)
  }

  /** This turn has started attempts for the whole budget: the next look should wait for the next turn. */
  get spent(): boolean {
    return this.startedAt !== undefined && this.now() - this.startedAt >= this.budgetMs
  }

  private readonly reset = (): void => {
    this.startedAt = undefined
  }
}
