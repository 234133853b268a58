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
import type { PeerActors, PeerSenders } from './context.js'
import { DELIVER_TASK, deliverTask } from './deliver.js'

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
}

export interface WorkInit {
  tasks?: TaskServiceInit
}

export class Work {
  readonly tasks: TaskService
  readonly actors: ActorSystem
  readonly senders: PeerSenders

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
    }, { actors: app.actors })
    const actors: PeerActors = {
      tell: (address, handler, message, options) => this.actors.tell(address, handler, message, options),
      ask: (address, handler, message, options) => this.actors.ask(address, handler, message, options),
      schedule: (address, handler, message, options) => this.tasks.enqueue(DELIVER_TASK, { address, handler, message }, options),
    }
    this.senders = {
      actors,
      tasks: {
        enqueue: (name, input, options) => this.tasks.enqueue(name, input, options),
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
    }, app.tasks.some(t => t.name === DELIVER_TASK) ? app.tasks : [...app.tasks, deliverTask], init.tasks)
  }

  async start(): Promise<void> {
    await this.actors.start()
    await this.tasks.start()
  }

  /** Stops taking new work, lets running tasks finish up to `deadlineMs`, then stops the actors. */
  async stop(deadlineMs: number): Promise<void> {
    await this.tasks.stop({ deadlineMs })
    await this.actors.stop({ timeoutMs: deadlineMs })
  }
}
