// createTestCluster: several real peers in one process, for tests. Real
// libp2p on 127.0.0.1 (free ports), real HTTP (free ports), real stores in
// temporary folders removed on close; fast timings so the cluster forms in
// seconds. Helpers run actions, tasks and actor messages against it.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { App } from '../app/app.js'
import { defineApp } from '../app/app.js'
import { AbortedError, UnavailableError } from '../errors.js'
import { DEFAULT_VOTERS_MAX } from '../lease/constants.js'
import type { LeaseParams } from '../lease/index.js'
import { createPeer, type Peer, type PeerInit } from '../peer/peer.js'
import { silentLogger } from '../util/logger.js'
import { callAction } from './action.js'
import { READY_TIMEOUT_MS, SETTLE_QUIET_MS, TEST_LEASE, TEST_MEMBERSHIP, TEST_STOP_TIMEOUT_MS } from './constants.js'
import type { TaskRecord } from '../tasks/record.js'
import type { ActionOptions, AwaitTaskOptions, PeerRef, ReadyWaitOptions, RunTaskOptions, SendToActorOptions, TestCluster, TestClusterInit } from './types.js'
import { waitReady } from './ready.js'
import { awaitTask } from './task.js'

/**
 * Starts `peers` (default 3) peers of `app` in this process and, unless
 * `ready: false`, waits until they form one cluster with lease placement
 * settled. Close it with `await cluster.close()` (or `await using`).
 */
export async function createTestCluster(init: TestClusterInit = {}): Promise<TestCluster> {
  const size = init.peers ?? 3
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`peers must be an integer >= 1, got ${String(size)}`)
  const cluster = new Cluster(init.app ?? defineApp(), peerInit(init), init.lease?.votersMax ?? DEFAULT_VOTERS_MAX, init)
  try {
    await cluster.start(size, init.signal)
    if (init.ready !== false) await cluster.ready({ signal: init.signal })
  } catch (err) {
    try {
      await cluster.close()
    } catch (closeErr) {
      throw new AggregateError([err, closeErr], 'the test cluster did not start, and closing what had started failed too')
    }
    throw err
  }
  return cluster
}

/** What every peer of the cluster gets, besides its own data folder and seeds. */
function peerInit(init: TestClusterInit): PeerInit {
  const { peers: _peers, http, ready: _ready, readyTimeoutMs: _timeout, settleQuietMs: _quiet, signal: _signal, ...rest } = init
  // A `leaseMs` of the caller's derives the renewal timings: keep only our non-timing fields then.
  const { leaseMs: _m, renewIntervalMs: _r, roundTimeoutMs: _t, tickMaxMs: _k, ...untimed } = TEST_LEASE
  const lease: Partial<LeaseParams> = { ...(init.leaseMs === undefined ? TEST_LEASE : untimed), ...init.lease }
  return {
    logger: silentLogger,
    stopTimeoutMs: TEST_STOP_TIMEOUT_MS,
    ...rest,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    http: http === false ? false : { port: 0, host: '127.0.0.1' },
    membership: { ...TEST_MEMBERSHIP, ...init.membership },
    lease,
  }
}

class Cluster implements TestCluster {
  readonly peers: Peer[] = []
  private readonly stopped = new Set<Peer>()
  private readonly dirs: string[] = []
  private closing: Promise<void> | undefined

  constructor(readonly app: App, private readonly init: PeerInit, private readonly votersMax: number, private readonly options: TestClusterInit) {}

  get running(): Peer[] {
    return this.peers.filter(p => !this.stopped.has(p))
  }

  async start(size: number, signal: AbortSignal | undefined): Promise<void> {
    const first = await this.startPeer([], signal)
    const seeds = [first.multiaddrs[0]!]
    const rest = await Promise.allSettled(Array.from({ length: size - 1 }, () => this.startPeer(seeds, signal)))
    const failed = rest.find(r => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  private async startPeer(seeds: string[], signal: AbortSignal | undefined): Promise<Peer> {
    if (signal?.aborted === true) throw new AbortedError('aborted while starting the test cluster', { cause: signal.reason })
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-test-'))
    this.dirs.push(dataDir)
    const peer = await createPeer({ ...this.init, app: this.app, dataDir, seeds })
    this.peers.push(peer)
    return peer
  }

  peer(ref?: PeerRef): Peer {
    if (ref === undefined) {
      const first = this.running[0]
      if (first === undefined) throw new UnavailableError('every peer of the test cluster is stopped')
      return first
    }
    const peer = typeof ref === 'number' ? this.peers[ref] : ref
    if (peer === undefined || !this.peers.includes(peer)) throw new RangeError(`no peer ${String(typeof ref === 'number' ? ref : ref.id)} in this test cluster of ${this.peers.length}`)
    if (this.stopped.has(peer)) throw new UnavailableError(`peer ${this.peers.indexOf(peer)} (${peer.id}) is stopped`)
    return peer
  }

  ready(options: ReadyWaitOptions = {}): Promise<void> {
    return waitReady(() => ({ running: this.running, stopped: [...this.stopped], votersMax: this.votersMax }), {
      timeoutMs: options.timeoutMs ?? this.options.readyTimeoutMs ?? READY_TIMEOUT_MS,
      quietMs: options.quietMs ?? this.options.settleQuietMs ?? SETTLE_QUIET_MS,
      signal: options.signal,
    })
  }

  async action<T = unknown>(name: string, input?: unknown, options: ActionOptions = {}): Promise<T> {
    return callAction<T>(this.peer(options.peer), name, input, options)
  }

  async runTask(name: string, input: unknown, options: RunTaskOptions = {}): Promise<TaskRecord> {
    const { peer: ref, timeoutMs, ...enqueue } = options
    const peer = this.peer(ref)
    const id = await peer.tasks.enqueue(name, input, enqueue)
    return awaitTask(peer, id, { timeoutMs, signal: options.signal })
  }

  async awaitTask(id: string, options: AwaitTaskOptions = {}): Promise<TaskRecord> {
    return awaitTask(this.peer(options.peer), id, options)
  }

  async ask<R = unknown>(address: string, handler: string, message?: unknown, options: SendToActorOptions = {}): Promise<R> {
    const { peer, ...send } = options
    return this.peer(peer).actors.ask<R>(address, handler, message, send)
  }

  async tell(address: string, handler: string, message?: unknown, options: SendToActorOptions = {}): Promise<void> {
    const { peer, ...send } = options
    return this.peer(peer).actors.tell(address, handler, message, send)
  }

  async stop(ref: PeerRef): Promise<void> {
    const peer = this.peer(ref)
    this.stopped.add(peer)
    await peer.stop()
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async shutdown(): Promise<void> {
    const stops = await Promise.allSettled(this.peers.map(p => { this.stopped.add(p); return p.stop() }))
    const removes = await Promise.allSettled(this.dirs.map(d => rm(d, { recursive: true, force: true })))
    const errors = [...stops, ...removes].flatMap(r => (r.status === 'rejected' ? [r.reason as unknown] : []))
    if (errors.length > 0) throw new AggregateError(errors, `closing the test cluster: ${errors.length} step(s) failed`)
  }
}
