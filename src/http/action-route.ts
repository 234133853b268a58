// `GET|POST /api/<name>`: find the action, read its input, run it.
import { Hono } from 'hono'
import type { Action } from '../app/action.js'
import type { HttpEnv } from './app.js'
import { readJsonBody, type BodyLimits } from './body.js'
import { MethodNotAllowedError, NotFoundError } from './errors.js'
import { queryInput } from './query.js'
import { actionRunner, type ActionRunner, type RunnerOptions } from './run.js'

export interface ActionRouteOptions extends RunnerOptions, BodyLimits {
  actions: readonly Action[]
}

export function actionRoute(options: ActionRouteOptions): Hono<HttpEnv> {
  const routes = new Map<string, { action: Action, run: ActionRunner }>()
  for (const action of options.actions) routes.set(action.name, { action, run: actionRunner(action, options) })
  const find = (name: string): { action: Action, run: ActionRunner } => {
    const route = routes.get(name)
    if (route === undefined) throw new NotFoundError(`no action named ${JSON.stringify(name.slice(0, 128))}`)
    return route
  }
  const route = new Hono<HttpEnv>()

  route.on(['GET', 'POST'], '/:name', async (c) => {
    const { action, run } = find(c.req.param('name'))
    // HEAD arrives here as GET's twin; it is answered like GET without a body.
    const method = c.req.method === 'POST' ? 'POST' : 'GET'
    if (method === 'GET' && !action.get) {
      c.header('allow', 'POST')
      throw new MethodNotAllowedError(`action ${action.name} takes POST only`)
    }
    const rawInput = method === 'POST' ? await readJsonBody(c.req.raw, options, options.logger) : queryInput(c.req.url)
    const output = await run({ method, rawInput, request: () => c.req.raw, requestId: c.get('requestId') })
    return c.json(output ?? null)
  })
  route.all('/:name', (c) => {
    const { action } = find(c.req.param('name'))
    c.header('allow', action.get ? 'GET, HEAD, POST' : 'POST')
    throw new MethodNotAllowedError(`${c.req.method} is not allowed on /api/${action.name}`)
  })
  return route
}
