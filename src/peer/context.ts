// What actions and tasks get from the peer besides their own fields: senders
// to actors and to the task queue, wherever in the cluster they run.

import type { Actors } from '../actors/define.js'
import type { TaskRecord } from '../tasks/record.js'
import type { EnqueueItem, EnqueueManyOptions, EnqueueOptions } from '../tasks/service.js'
import type { ScheduleOptions } from './deliver.js'

export interface TaskSender {
  /** Enqueues a task; resolves with its id once it is durable on another peer too. */
  enqueue(name: string, input: unknown, options?: EnqueueOptions): Promise<string>
  /** Enqueues a batch with one commit and one put per replica; resolves with the ids once all are durable. */
  enqueueMany(items: readonly EnqueueItem[], options?: EnqueueManyOptions): Promise<string[]>
  get(id: string): TaskRecord | undefined
}

export interface PeerActors extends Actors {
  /**
   * Delivers a message to an actor later, as an "any" task: durable once this
   * resolves (with the task id), delivered at least once at or after the time.
   */
  schedule(address: string, handler: string, message: unknown, options: ScheduleOptions): Promise<string>
}

export interface PeerSenders {
  actors: PeerActors
  tasks: TaskSender
}

declare module '../app/context.js' {
  interface ActionContextExtensions {
    actors: PeerActors
    tasks: TaskSender
  }
}

declare module '../actors/define.js' {
  interface ActorContextExtensions {
    actors: PeerActors
    tasks: TaskSender
  }
}

declare module '../tasks/define.js' {
  interface TaskContextExtensions {
    actors: PeerActors
    tasks: TaskSender
  }
}
