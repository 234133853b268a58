// Messages to actors scheduled for later: a built-in "any" task delivers them,
// so they are as durable as any task (replicated before `schedule` resolves,
// run at least once, retried while the actor is unreachable).

import { z } from 'zod'
import { defineTask, type TaskDefinition } from '../tasks/index.js'
import type { EnqueueOptions } from '../tasks/service.js'

export const DELIVER_TASK = 'troupe.deliver'

const input = z.object({
  address: z.string().min(3).max(512),
  handler: z.string().min(1).max(128),
  message: z.unknown(),
})

/** Delivers with `tell`: the task is done once the actor's host accepted the message. */
export const deliverTask: TaskDefinition = defineTask({
  name: DELIVER_TASK,
  description: 'Delivers a message scheduled for an actor.',
  scope: 'any',
  input,
  retry: { attempts: 10, backoffMs: 500, backoffFactor: 2 },
  run: async (ctx, msg) => {
    await ctx.actors.tell(msg.address, msg.handler, msg.message, { signal: ctx.signal })
  },
}) as TaskDefinition

export type ScheduleOptions = Pick<EnqueueOptions, 'delayMs' | 'runAt' | 'idempotencyKey' | 'priority' | 'signal'>

export type Schedule = (address: string, handler: string, message: unknown, options: ScheduleOptions) => Promise<string>
