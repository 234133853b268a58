// Progress of `troupe start`'s long waits, on stderr: joining through seeds,
// and a graceful stop waiting for tasks and actors. The lines are pure
// functions of the facts; the reporters only pace them. On a terminal a line
// comes every interval; in a log (not a TTY) the first one, then one every
// quiet interval, and the last.

import type { Clock, TimerHandle, Timers } from '../util/clock.js'
import { formatDuration } from './format.js'

/** Joining: first line after 2 s, then every 2 s on a terminal, every 10 s in a log. */
export const JOIN_PACE: Pace = { everyMs: 2_000, quietMs: 10_000 }
/** Stopping: first line after 1 s, then every 1 s on a terminal, every 5 s in a log. */
export const STOP_PACE: Pace = { everyMs: 1_000, quietMs: 5_000 }
/** How often the join reporter looks at the member view (it also looks on each member:join). */
export const JOIN_POLL_MS = 500
/** Once joined, how long to wait for the voter set to be known before saying "joined" without it. */
export const JOIN_VOTERS_WAIT_MS = 3_000

export interface Pace { everyMs: number, quietMs: number }

export interface ProgressDeps {
  clock: Clock
  timers: Timers
  /** Writes one line (without its newline). */
  write(line: string): void
  /** On a terminal: every interval; otherwise quieter. */
  tty: boolean
}

export interface JoinFacts { seeds: number, membersAlive: number, joined: boolean, voters: number }
export interface StopFacts { tasksRunning: number, actorsActive: number }

export function firstPeerLine(): string {
  return 'joining: no seeds, so this is the first peer; others join it with --seed'
}

export function noClusterLine(): string {
  return 'joining: no seed but this peer itself, and no lease state: waiting for another member to reach it (see the warning above)'
}

export function joiningLine(f: JoinFacts, elapsedMs: number): string {
  return `joining: dialing ${plural(f.seeds, 'seed')}... (${formatDuration(elapsedMs)})`
}

export function joinedLine(f: JoinFacts): string {
  return `joined: ${plural(f.membersAlive, 'member')} alive, ${f.voters > 0 ? plural(f.voters, 'voter') : 'voters not known yet'}`
}

/** `leftMs`: time before running tasks are aborted (or, once none run, before actors are abandoned). */
export function stoppingLine(f: StopFacts, leftMs: number): string {
  const left = leftMs > 0 ? `${formatDuration(Math.ceil(leftMs / 1000) * 1000)} left` : 'time is up'
  if (f.tasksRunning > 0) {
    const actors = f.actorsActive > 0 ? `, ${plural(f.actorsActive, 'actor')} active` : ''
    return `stopping: ${plural(f.tasksRunning, 'task')} still running${actors} (${left})`
  }
  if (f.actorsActive > 0) return `stopping: ${plural(f.actorsActive, 'actor')} deactivating (${left})`
  return 'stopping: leaving the cluster'
}

export function stoppedLine(elapsedMs: number): string {
  return `stopped (${formatDuration(elapsedMs)})`
}

export function forcedLine(elapsedMs: number): string {
  return `stopping: cut short by a second signal after ${formatDuration(elapsedMs)}; work still running is abandoned`
}

/** When (ms after the start) the line after `printed` lines is due. */
export function nextDueMs(printed: number, lastMs: number, pace: Pace, tty: boolean): number {
  return printed === 0 ? pace.everyMs : lastMs + (tty ? pace.everyMs : pace.quietMs)
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/**
 * Reports joining until the peer sees another live member (then one "joined"
 * line) or `stop()`. `subscribe` is called with a check to run on membership
 * news and returns its unsubscribe.
 */
export function reportJoining(deps: ProgressDeps, facts: () => JoinFacts, subscribe: (check: () => void) => () => void): { stop(): void } {
  const startedAt = deps.clock.now()
  let printed = 0
  let dueMs = nextDueMs(0, 0, JOIN_PACE, deps.tty)
  let joinedAt: number | undefined
  let timer: TimerHandle | undefined
  let done = false
  let unsubscribe = (): void => undefined
  const stop = (): void => {
    done = true
    if (timer !== undefined) deps.timers.clearTimeout(timer)
    unsubscribe()
  }
  const check = (): void => {
    if (done) return
    const f = facts()
    const now = deps.clock.now()
    if (f.joined) {
      joinedAt ??= now
      if (f.voters > 0 || now - joinedAt >= JOIN_VOTERS_WAIT_MS) {
        deps.write(joinedLine(f))
        stop()
      }
      return
    }
    const elapsedMs = now - startedAt
    if (elapsedMs >= dueMs) {
      deps.write(joiningLine(f, elapsedMs))
      printed++
      dueMs = nextDueMs(printed, dueMs, JOIN_PACE, deps.tty)
    }
  }
  const poll = (): void => {
    check()
    if (!done) timer = deps.timers.setTimeout(poll, JOIN_POLL_MS)
  }
  if (facts().seeds === 0) {
    // No voter at all: it did not start a cluster (its only seed was itself and it has no lease state; the log says why).
    deps.write(facts().voters === 0 ? noClusterLine() : firstPeerLine())
    return { stop: () => undefined }
  }
  unsubscribe = subscribe(check)
  poll()
  return { stop }
}

/**
 * Reports a graceful stop taking up to `stopTimeoutMs` per stage until
 * `end()`, which writes the last line: "stopped", or that a second signal cut
 * the stop short (nothing when the stop failed: the error is the last line).
 */
export function reportStopping(deps: ProgressDeps, facts: () => StopFacts, stopTimeoutMs: number): { end(how: 'stopped' | 'forced' | 'failed'): void } {
  const startedAt = deps.clock.now()
  let printed = 0
  let dueMs = nextDueMs(0, 0, STOP_PACE, deps.tty)
  // Actors stop after the tasks, with a deadline of their own, counted from the last look that still saw
  // tasks running (a little early: the time left shown is never more than there is).
  let actorsSince: number | undefined
  let lookedAt = startedAt
  let timer: TimerHandle | undefined
  const tick = (): void => {
    const f = facts()
    const now = deps.clock.now()
    if (f.tasksRunning === 0) actorsSince ??= lookedAt
    lookedAt = now
    deps.write(stoppingLine(f, stopTimeoutMs - (now - (actorsSince ?? startedAt))))
    printed++
    dueMs = nextDueMs(printed, dueMs, STOP_PACE, deps.tty)
    timer = deps.timers.setTimeout(tick, Math.max(0, startedAt + dueMs - now))
  }
  timer = deps.timers.setTimeout(tick, dueMs)
  return {
    end: how => {
      if (timer !== undefined) deps.timers.clearTimeout(timer)
      const elapsedMs = deps.clock.now() - startedAt
      if (how !== 'failed') deps.write(how === 'stopped' ? stoppedLine(elapsedMs) : forcedLine(elapsedMs))
    },
  }
}
