// Actions and an app with the ops routes, shared by the ops tests.
import { z } from 'zod'
import { defineAction } from '../../src/app/action.js'
import type { Action } from '../../src/app/action.js'
import { createHttpApp } from '../../src/http/app.js'
import { silentLogger } from '../../src/util/logger.js'
import { registerOps } from '../../src/ops/index.js'
import type { Metrics } from '../../src/ops/metrics.js'

export const add = defineAction({
  name: 'math.add',
  description: 'adds two numbers',
  input: z.object({ a: z.coerce.number(), b: z.coerce.number().default(1) }),
  run: (_ctx, { a, b }) => ({ sum: a + b }),
})

export const greet = defineAction({
  name: 'users:greet',
  input: z.object({ user: z.object({ name: z.string().min(1) }), tags: z.array(z.string()).optional() }),
  get: false,
  run: (_ctx, { user }) => ({ hello: user.name }),
})

const Node: z.ZodType<{ name: string, children: unknown[] }> = z.object({ name: z.string(), get children() { return z.array(Node) } })
export const tree = defineAction({
  name: 'tree',
  input: z.object({ root: Node, spare: Node.optional() }),
  run: () => null,
})

export const boom = defineAction({
  name: 'boom',
  input: z.object({}),
  run: () => { throw new Error('kaboom') },
})

export const ACTIONS: Action[] = [add, greet, tree, boom]

export function opsApp(metrics?: Metrics, actions: Action[] = ACTIONS) {
  return createHttpApp({
    actions,
    peer: { id: 'peer-1' },
    version: '9.9.9',
    status: () => ({ members: [] }),
    logger: silentLogger,
    extend: app => registerOps(app, { actions, version: '9.9.9', title: 'test-app', metrics }),
  })
}
