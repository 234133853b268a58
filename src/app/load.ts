// Loads an app from a folder: its index module (TypeScript or JavaScript)
// default-exports the result of defineApp(). TypeScript apps are loaded
// through tsx, so users need no build step.

import { access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '../errors.js'
import { isApp, type App } from './app.js'

export const APP_ENTRIES = ['index.ts', 'index.mts', 'index.js', 'index.mjs']

/** Set once tsx's loader is registered in this thread (worker threads register their own). */
const TSX_REGISTERED = Symbol.for('troupe.tsx-registered')

/** The module each loaded app came from: CPU-bound tasks load it again in worker threads. */
const sources = new WeakMap<App, string>()

export async function loadApp(folder: string): Promise<App> {
  return loadAppEntry(await findEntry(resolve(folder)), folder)
}

/** Loads the app that the module at `entry` (a path) default-exports. */
export async function loadAppEntry(entry: string, label = entry): Promise<App> {
  if (entry.endsWith('ts')) await registerTsx()
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(entry).href) as Record<string, unknown>
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    throw new ConfigError(`the app in ${label} does not load: ${detail}`, { cause: err })
  }
  const app = mod.default
  if (!isApp(app)) throw new ConfigError(`the app in ${label} must default-export defineApp({ ... }) from ${entry}`)
  sources.set(app, entry)
  return app
}

/** The module path an app was loaded from by loadApp, if it was. */
export function appSource(app: App): string | undefined {
  return sources.get(app)
}

/** Registers tsx's ESM loader once per thread, so TypeScript apps need no build step. */
export async function registerTsx(): Promise<void> {
  const flags = globalThis as Record<symbol, unknown>
  if (flags[TSX_REGISTERED] === true) return
  const { register } = await import('tsx/esm/api')
  register()
  flags[TSX_REGISTERED] = true
}

async function findEntry(dir: string): Promise<string> {
  for (const name of APP_ENTRIES) {
    const path = join(dir, name)
    try {
      await access(path)
      return path
    } catch {
      // not this one; try the next name
    }
  }
  throw new ConfigError(`no app in ${dir}: expected one of ${APP_ENTRIES.join(', ')}`)
}
