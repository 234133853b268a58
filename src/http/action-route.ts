// `GET|POST /api/<name>`: find the action, read its input, run it.
import { Hono, type Context } from 'hono'
import type { Action } from '../app/action.js'
import type { HttpEnv } from './app.js'
import { readJsonBody, type BodyLimits } from './body.js'
import { MethodNotAllowedError, NotFoundError } from './errors.js'
import { queryInput } from './query.js'
import { actionRunner, isThenable, type ActionCall, type ActionRunner, type RunnerOptions } from './run.js'

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

  // One handler for every method, so that it is the only one Hono matches: a
  // GET of a synchronous action is then answered without a promise.
  route.all('/:name', (c): Response | Promise<Response> => {
    const { action, run } = find(c.req.param('name'))
    c.env.action = action.name
    const verb = c.req.method
    if (verb !== 'GET' && verb !== 'HEAD' && verb !== 'POST') {
      c.header('allow', action.get ? 'GET, HEAD, POST' : 'POST')
      throw new MethodNotAllowedError(`${verb} is not allowed on /api/${action.name}`)
    }
    // HEAD is answered like GET, without a body (Hono drops it).
    if (verb !== 'POST' && !action.get) {
      c.header('allow', 'POST')
      throw new MethodNotAllowedError(`action ${action.name} takes POST only`)
    }
    const call = (method: ActionCall['method'], rawInput: unknown): unknown => run({ method, rawInput, request: () => c.req.raw, requestId: c.env.requestId })
    if (verb === 'POST') return readJsonBody(c.req.raw, options, options.logger).then((rawInput) => answer(c, call('POST', rawInput)))
    return answer(c, call('GET', queryInput(c.req.url)))
  })
  return route
}

/** The JSON answer, at once when the action answered synchronously. */
function answer(c: Context<HttpEnv>, output: unknown): Response | Promise<Response> {
  if (isThenable(output)) return Promise.resolve(output).then((value) => c.json(value ?? null))
  return c.json(output ?? null)
}
