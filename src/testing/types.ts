// The shape of a test cluster: what createTestCluster takes and returns.

import type { SendOptions } from '../actors/define.js'
import type { App } from '../app/app.js'
import type { Peer, PeerInit } from '../peer/peer.js'
import type { TaskRecord } from '../tasks/record.js'
import type { EnqueueOptions } from '../tasks/service.js'
import type { ActionCallOptions } from './action.js'

/** A peer of the cluster: its index in `cluster.peers` (start order), or the Peer itself. */
export type PeerRef = number | Peer

/** What `createTestCluster` takes: every `PeerInit` field a test may want (app, logger, tasks, lease, membership, ...) plus the cluster's own. Fast test timings fill `membership` and `lease` unless given. */
export interface TestClusterInit extends Omit<PeerInit, 'listen' | 'announce' | 'seeds' | 'dataDir' | 'http'> {
  /** How many peers to start; default 3. Peer 0 starts first, the others join through it. */
  peers?: number
  /** The app every peer runs (`defineApp(...)` or `await loadApp(folder)`); default an empty app. */
  app?: App
  /**
   * `true` (default): every peer serves HTTP on 127.0.0.1 at a free port, and
   * `action()` goes over a real socket. `false`: no HTTP server; `action()`
   * runs the same routes through `peer.http.request()`.
   */
  http?: boolean
  /** Wait for `ready()` before resolving; default true. */
  ready?: boolean
  /** How long `ready()` waits; default 30 s. */
  readyTimeoutMs?: number
  /** How long placement must stay unchanged for `ready()`; default 1.5 s. */
  settleQuietMs?: number
  /** Aborts the start (and the first `ready()`): started peers are stopped and their folders removed. */
  signal?: AbortSignal
}

/** Options of `cluster.ready()`. */
export interface ReadyWaitOptions {
  /** Stops the wait (AbortedError); the cluster is left as it is. */
  signal?: AbortSignal
  /** Default the cluster's `readyTimeoutMs`. */
  timeoutMs?: number
  /** Default the cluster's `settleQuietMs`. */
  quietMs?: number
}

/** Options of `cluster.runTask()`: the enqueue options, the peer, and how long to wait for the end. */
export interface RunTaskOptions extends Omit<EnqueueOptions, 'timeoutMs'> {
  /** The peer that enqueues the task and watches it; default the first running peer. */
  peer?: PeerRef
  /** How long to wait for the task to finish; default 15 s. */
  timeoutMs?: number
}

/** Options of `cluster.awaitTask()`. */
export interface AwaitTaskOptions {
  /** The peer that watches the task (every peer has its record); default the first running peer. */
  peer?: PeerRef
  /** Stops the wait (AbortedError); the task goes on. */
  signal?: AbortSignal
  /** Default 15 s. */
  timeoutMs?: number
}

/** Options of `cluster.ask()` and `cluster.tell()`. */
export interface SendToActorOptions extends SendOptions {
  /** The peer the message is sent from; default the first running peer. */
  peer?: PeerRef
}

/** Options of `cluster.action()`. */
export interface ActionOptions extends ActionCallOptions {
  /** The peer that receives the request; default the first running peer. */
  peer?: PeerRef
}

/** Several real peers in this process, and helpers to drive them from a test. */
export interface TestCluster extends AsyncDisposable {
  /** The app every peer runs. */
  readonly app: App
  /** Every peer started, in start order; a stopped peer keeps its index. */
  readonly peers: readonly Peer[]
  /** The peers not stopped, in start order. */
  readonly running: readonly Peer[]
  /** Looks a peer up; throws RangeError for an unknown one and UnavailableError for a stopped one. No argument: the first running peer. */
  peer(ref?: PeerRef): Peer
  /**
   * Resolves once every running peer sees the others alive (and no stopped
   * peer alive), they agree on a full voter set of running peers, every lease
   * partition is held, and no holder changed for `settleQuietMs`. Rejects
   * with a TimeoutError that says what was still missing.
   */
  ready(options?: ReadyWaitOptions): Promise<void>
  /**
   * Runs an action as a client would: `POST /api/<name>` with `input` as JSON,
   * over real HTTP (or through `peer.http.request()` when `http: false`).
   * Resolves with the JSON answer; rejects with ActionCallError (`status`,
   * `code`, `body`) on an error status.
   */
  action<T = unknown>(name: string, input?: unknown, options?: ActionOptions): Promise<T>
  /**
   * Enqueues a task and waits until it ends. Resolves with the final record
   * when it is `done`; rejects with TaskFailedError (its `record` holds the
   * error and attempts) when it ends `failed` or `cancelled`, with a
   * TimeoutError when it has not ended within `timeoutMs`.
   */
  runTask(name: string, input: unknown, options?: RunTaskOptions): Promise<TaskRecord>
  /** Waits for a task enqueued some other way (by an action, say); settles like `runTask`. */
  awaitTask(id: string, options?: AwaitTaskOptions): Promise<TaskRecord>
  /** Asks an actor anywhere in the cluster (`type/key`): resolves with the handler's result. */
  ask<R = unknown>(address: string, handler: string, message?: unknown, options?: SendToActorOptions): Promise<R>
  /** Tells an actor: resolves once its host accepted the message. */
  tell(address: string, handler: string, message?: unknown, options?: SendToActorOptions): Promise<void>
  /** Stops one peer gracefully (the others see it leave at once); its data folder stays until `close()`. */
  stop(ref: PeerRef): Promise<void>
  /** Stops every running peer and removes every data folder. Idempotent. */
  close(): Promise<void>
}
