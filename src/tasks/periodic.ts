// Periodic tasks, by fixed wall-clock periods (`frequencyMs`) or by cron.
// The peer holding the partition of the task's name creates the record of
// the current occurrence: `name@k` for period k (runAt k x frequencyMs), or
// `name@m<minute>` for a cron firing (within a minute of it). "all"
// occurrences expire when the next one is due. Ids are deterministic, so
// copies made by two holders during a handover merge into one record, which
// runs once ("any") or once per peer ("all").
import type { TimerHandle, Timers, WallClock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { PartitionClaims } from './claims.js'
import type { TaskDefinition } from './define.js'

/** A cron firing is still created if its holder looks within this long after it (a whole minute: cron's grain). */
export const CRON_CATCHUP_MS = 60_000

/** Timers are re-armed at least this often (setTimeout cannot wait longer than ~24.8 days). */
const WAKE_MAX_MS = 24 * 60 * 60 * 1000

export interface Occurrence {
  id: string
  runAt: number
  /** "all" tasks: when the next occurrence is due. */
  expiresAt?: number
}

export function occurrenceId(name: string, period: number): string {
  return `${name}@${period}`
}

/** The occurrence due at `now`, if any, and when the next one is due. */
export function currentOccurrence(def: TaskDefinition, now: number): { occurrence?: Occurrence, nextAt?: number } {
  if (def.frequencyMs !== undefined) {
    const f = def.frequencyMs
    const k = Math.floor(now / f)
    return { occurrence: { id: occurrenceId(def.name, k), runAt: k * f, expiresAt: def.scope === 'all' ? (k + 1) * f : undefined }, nextAt: (k + 1) * f }
  }
  if (def.cron === undefined) return {}
  const nextAt = def.cron.next(now)
  const fire = def.cron.next(now - CRON_CATCHUP_MS)
  if (fire === undefined || fire > now) return { nextAt }
  const expiresAt = def.scope === 'all' ? (nextAt ?? fire + CRON_CATCHUP_MS) : undefined
  return { occurrence: { id: `${def.name}@m${fire / 60_000}`, runAt: fire, expiresAt }, nextAt }
}

export interface PeriodicDeps {
  definitions: readonly TaskDefinition[]
  claims: PartitionClaims
  clock: WallClock
  timers: Timers
  logger: Logger
  /** Creates the occurrence if this peer has no record of it. */
  ensure(def: TaskDefinition, occurrence: Occurrence): Promise<void>
}

export class Periodic {
  private readonly timers = new Map<string, TimerHandle>()
  private readonly periodic: TaskDefinition[]
  private stopped = true

  constructor(private readonly deps: PeriodicDeps) {
    this.periodic = deps.definitions.filter(d => d.frequencyMs !== undefined || d.cron !== undefined)
  }

  start(): void {
    this.stopped = false
    for (const def of this.periodic) this.tick(def)
  }

  stop(): void {
    this.stopped = true
    for (const h of this.timers.values()) this.deps.timers.clearTimeout(h)
    this.timers.clear()
  }

  /** A partition arrived: create the current occurrences of the periodic tasks it owns, without waiting for the next one. */
  onAcquired(partition: number): void {
    for (const def of this.periodic) if (this.deps.claims.partitionOf(def.name) === partition) this.tick(def)
  }

  private tick(def: TaskDefinition): void {
    if (this.stopped) return
    const now = this.deps.clock.wallNow()
    const { occurrence, nextAt } = currentOccurrence(def, now)
    if (occurrence !== undefined && this.deps.claims.held(this.deps.claims.partitionOf(def.name)) !== undefined) {
      this.deps.ensure(def, occurrence).catch((err: unknown) => this.deps.logger.warn('could not create a periodic occurrence', { task: def.name, id: occurrence.id, err: (err as Error).message }))
    }
    const old = this.timers.get(def.name)
    if (old !== undefined) this.deps.timers.clearTimeout(old)
    const wait = nextAt === undefined ? WAKE_MAX_MS : Math.min(WAKE_MAX_MS, Math.max(1, nextAt - now))
    this.timers.set(def.name, this.deps.timers.setTimeout(() => this.tick(def), wait))
  }
}
