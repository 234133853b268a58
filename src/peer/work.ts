// The peer's work planes: tasks and actors, both placed by the lease
// partitions this peer holds, both reachable from actions and from each other
// through the same senders.

import { compareFences } from '../lease/index.js'
import { ActorSystem } from '../actors/index.js'
import type { App } from '../app/app.js'
import type { TroupeNode } from '../net/node.js'
import type { LeaseService } from '../placement/lease-service.js'
import type { Store } from '../store/store.js'
import { libp2pPubSub, TaskService, type TaskServiceInit } from '../tasks/index.js'
import type { Clock, Timers, WallClock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import type { Random } from '../util/random.js'
import type { Messenger } from '../wire/messenger.js'
import type { ActorMeter } from '../actors/meter.js'
import type { TaskMeter } from '../tasks/meter.js'
import type { PeerActors, PeerSenders } from './context.js'
import { DELIVER_TASK, deliverTask } from './deliver.js'
import type { CpuPool } from '../workers/pool.js'
import type { TaskDefinition } from '../tasks/define.js'

export interface WorkComponents {
  self: string
  node: TroupeNode
  messenger: Messenger
  store: Store
  leases: LeaseService
  clock: Clock & WallClock
  timers: Timers
  random: Random
  logger: Logger
  /** Live peer ids, self included (a hint). */
  members: () => readonly string[]
  /** Runs the app's `cpu: true` task handlers in worker threads; required when the app has any. */
  cpu?: CpuPool
  /** Metrics of each plane; default counts nothing. */
  meters?: { tasks?: TaskMeter, actors?: ActorMeter }
}

export interface WorkInit {
  tasks?: TaskServiceInit
}

export class Work {
  readonly tasks: TaskService
  readonly actors: ActorSystem
  readonly senders: PeerSenders
  private readonly cpu: CpuPool | undefined

  constructor(c: WorkComponents, app: App, init: WorkInit = {}) {
    this.actors = new ActorSystem({
      self: c.self,
      messenger: c.messenger,
      claims: c.leases,
      directory: c.leases,
      successors: c.leases,
      store: c.store,
      fenceOrder: compareFences,
      clock: c.clock,
      timers: c.timers,
      random: c.random,
      logger: c.logger.child({ part: 'actors' }),
      meter: c.meters?.actors,
      // Acknowledged state changes live on a majority of the voters, so every later host can read them.
      quorum: () => c.leases.voters(),
      // Actors enqueue tasks and schedule messages like actions do; their own ask keeps refusing themselves.
      context: (_address, actors) => ({ tasks: this.senders.tasks, actors: { ...actors, schedule: this.senders.actors.schedule } }),
    }, { actors: app.actors })
    // A new voter set may not meet the majority that holds an acknowledged change: its voters catch up first.
    c.leases.onVoters(voters => this.actors.votersChanged(voters, c.leases.settleMs))
    const actors: PeerActors = {
      tell: (address, handler, message, options) => this.actors.tell(address, handler, message, options),
      ask: (address, handler, message, options) => this.actors.ask(address, handler, message, options),
      schedule: (address, handler, message, options) => this.tasks.enqueue(DELIVER_TASK, { address, handler, message }, options),
    }
    this.senders = {
      actors,
      tasks: {
        enqueue: (name, input, options) => this.tasks.enqueue(name, input, options),
        enqueueMany: (items, options) => this.tasks.enqueueMany(items, options),
        get: id => this.tasks.get(id),
      },
    }
    this.tasks = new TaskService({
      store: c.store,
      messenger: c.messenger,
      pubsub: libp2pPubSub(c.node.services.pubsub),
      clock: c.clock,
      timers: c.timers,
      random: c.random,
      logger: c.logger.child({ part: 'tasks' }),
      claims: c.leases,
      members: c.members,
      self: c.self,
      context: () => this.senders,
      meter: c.meters?.tasks,
      // A new "any" task's replica put goes to its partition's holder first: one message makes it durable and starts it.
      holderOf: p => c.leases.holderOf(p),
    }, withDeliver(app.tasks.map(t => onPool(t, c.cpu))), init.tasks)
    this.cpu = c.cpu
  }

  async start(): Promise<void> {
    await this.cpu?.start()
    await this.actors.start()
    await this.tasks.start()
  }

  /** Stops taking new work, lets running tasks finish up to `deadlineMs`, then stops the actors. */
  async stop(deadlineMs: number): Promise<void> {
    await this.tasks.stop({ deadlineMs })
    await this.cpu?.stop()
    await this.actors.stop({ timeoutMs: deadlineMs })
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions of any input type share one list
type AnyTask = TaskDefinition<any>

function withDeliver(tasks: AnyTask[]): AnyTask[] {
  return tasks.some(t => t.name === DELIVER_TASK) ? tasks : [...tasks, deliverTask]
}

/** A `cpu: true` definition whose handler runs in the worker pool instead of this thread. */
function onPool(def: AnyTask, pool: CpuPool | undefined): AnyTask {
  if (!def.cpu) return def
  if (pool === undefined) throw new Error(`task ${def.name} is cpu: true but the peer has no CPU worker pool`)
  return Object.freeze({ ...def, run: (ctx, input) => pool.run(def.name, ctx, input) })
}
