// An app: what a peer runs. The app folder's index module default-exports one,
// built with defineApp; the peer serves its actions (and, as they land, runs
// its actors and tasks).

import { ConfigError } from '../errors.js'
import type { Action } from './action.js'
import type { ActionMiddleware } from './compose.js'
import type { TaskDefinition } from '../tasks/define.js'
import type { ActorDefinition } from '../actors/define.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions of any input or state type share one list
type AnyTask = TaskDefinition<any>
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
type AnyActor = ActorDefinition<any>

/** What `defineApp` takes; every field is optional. */
export interface AppInit {
  /** Shown in /status and logs. */
  name?: string
  actions?: ReadonlyArray<Action<never, unknown>>
  /** Runs before every action's own middleware, in order. */
  middleware?: readonly ActionMiddleware[]
  /** Task definitions (defineTask); every peer of a cluster should load the same ones. */
  tasks?: readonly AnyTask[]
  /** Actor definitions (defineActor). */
  actors?: readonly AnyActor[]
}

/** An app: the actions, tasks, actors and middleware every peer that runs it serves. Made by `defineApp`. */
export interface App {
  readonly name: string
  readonly actions: ReadonlyArray<Action<never, unknown>>
  readonly middleware: readonly ActionMiddleware[]
  readonly tasks: readonly AnyTask[]
  readonly actors: readonly AnyActor[]
}

const APP_MARK = Symbol.for('troupe.app')

/** Defines an app (action names must be unique). An app folder default-exports it from its `index.ts`. */
export function defineApp(init: AppInit = {}): App {
  const actions = init.actions ?? []
  const seen = new Set<string>()
  for (const a of actions) {
    if (typeof a !== 'object' || a === null || typeof (a as { run?: unknown }).run !== 'function') {
      throw new ConfigError('every entry of app.actions must come from defineAction()')
    }
    if (seen.has(a.name)) throw new ConfigError(`two actions are named ${a.name}`)
    seen.add(a.name)
  }
  const app = {
    name: init.name ?? 'app',
    actions: [...actions],
    middleware: [...(init.middleware ?? [])],
    tasks: [...(init.tasks ?? [])],
    actors: [...(init.actors ?? [])],
  }
  Object.defineProperty(app, APP_MARK, { value: true })
  return Object.freeze(app)
}

export function isApp(value: unknown): value is App {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[APP_MARK] === true
}
