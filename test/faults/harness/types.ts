// What a fault run leaves behind, as the checker reads it. Times (`t`) are
// microseconds of CLOCK_MONOTONIC (`process.hrtime.bigint() / 1000n`), which
// every process on one machine shares.

/** One line a handler wrote (test/fixtures/fault-app). `peer` is the harness's name for the peer (p0, p1, ...). */
export interface LedgerEntry {
  kind: 'task' | 'actor'
  event: 'start' | 'end'
  /** Unique per handler invocation: `<pid>.<n>`; pairs a start with its end. */
  run: string
  peer: string
  pid: number
  t: number
  /** Tasks. */
  task?: string
  scope?: 'any' | 'all'
  name?: string
  attempt?: number
  /** "any" tasks and actors: the partition's fencing token. */
  fence?: string
  /** Actors: `type/key`. */
  address?: string
  /** On `end`: ok, aborted (signal fired), refused (the sink refused the fence). */
  outcome?: 'ok' | 'aborted' | 'refused'
  reason?: string
}

/** What the harness did to the cluster, and when. `exit` marks a process gone (killed or stopped). */
export interface FaultEvent {
  kind: 'kill' | 'exit' | 'start' | 'pause' | 'resume' | 'block' | 'heal' | 'stop-all' | 'start-all'
  peers: string[]
  t: number
  /** `exit`, `start`: the process id. */
  pid?: number
  detail?: string
}

/** One decision of the fenced sink, in the order it made them. */
export interface SinkEntry {
  key: string
  fence: string | null
  peer: string
  phase: 'start' | 'end'
  accepted: boolean
  t: number
}

/** A task whose enqueue resolved (202). */
export interface Enqueued {
  id: string
  scope: 'any' | 'all'
  /** The peer that took the request. */
  peer: string
  t: number
}

/** A task's record as the peers report it at the end (the most final copy seen); undefined when no peer has it. */
export interface FinalTask {
  state: 'pending' | 'running' | 'done' | 'failed' | 'cancelled'
  /** Peer names with an `ok` attempt in the record ("all" tasks). */
  okPeers: string[]
}

/** Messages to one actor: asks sent, asks answered, and its count read at the end. */
export interface ActorTally {
  address: string
  sent: number
  acked: number
  /** undefined when the final read failed. */
  final: number | undefined
}

export interface CheckInput {
  ledger: LedgerEntry[]
  faults: FaultEvent[]
  sink: readonly SinkEntry[]
  enqueued: Enqueued[]
  final: ReadonlyMap<string, FinalTask | undefined>
  actors: ActorTally[]
  /** Peers running at the end: every "all" task must have run on each. */
  livePeers: string[]
  /** Lines that did not parse (a write cut short by SIGKILL): counted, not fatal. */
  badLines?: number
}

export type CheckName =
  | 'lost'
  | 'any-overlap'
  | 'stale-fence-accepted'
  | 'all-missing'
  | 'actor-overlap'
  | 'actor-update-lost'
  | 'actor-update-twice'
  | 'peer-crash'

export interface Violation {
  check: CheckName
  /** The task id or actor address. */
  subject: string
  detail: string
}

export interface CheckStats {
  enqueuedAny: number
  enqueuedAll: number
  runs: number
  /** Starts beyond the first per task ("any") or per task and peer ("all"). */
  reruns: number
  /** Tasks that ran more than once, and how many of those completed (ok) more than once. */
  tasksRerun: number
  tasksCompletedTwice: number
  /** Runs whose process died under them (closed by its `exit`). */
  runsKilled: number
  runsAborted: number
  /** Sink decisions: stale writes it refused (zombie runs stopped by the fence). */
  sinkRefused: number
  /** Overlaps of runs where the earlier run's peer was paused (SIGSTOP) meanwhile: allowed, the fence must stop them. */
  overlapsAfterPause: number
  actorTurns: number
  actorMessagesSent: number
  actorMessagesAcked: number
  faults: Record<string, number>
  badLines: number
}

export interface CheckResult {
  violations: Violation[]
  stats: CheckStats
}
