// What actions and tasks get from the peer besides their own fields: senders
// to actors and to the task queue, wherever in the cluster they run.

import type { Actors } from '../actors/define.js'
import type { TaskRecord } from '../tasks/record.js'
import type { EnqueueOptions } from '../tasks/service.js'

export interface TaskSender {
  /** Enqueues a task; resolves with its id once it is durable on another peer too. */
  enqueue(name: string, input: unknown, options?: EnqueueOptions): Promise<string>
  get(id: string): TaskRecord | undefined
}

export interface PeerSenders {
  actors: Actors
  tasks: TaskSender
}

declare module '../app/context.js' {
  interface ActionContextExtensions {
    actors: Actors
    tasks: TaskSender
  }
}

declare module '../tasks/define.js' {
  interface TaskContextExtensions {
    actors: Actors
    tasks: TaskSender
  }
}
