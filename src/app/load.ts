// Loads an app from a folder: its index module (TypeScript or JavaScript)
// default-exports the result of defineApp(). TypeScript apps are loaded
// through tsx, so users need no build step.

import { access } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError } from '../errors.js'
import { isApp, type App } from './app.js'

export const APP_ENTRIES = ['index.ts', 'index.mts', 'index.js', 'index.mjs']

let tsxRegistered = false

export async function loadApp(folder: string): Promise<App> {
  const dir = resolve(folder)
  const entry = await findEntry(dir)
  if (entry.endsWith('ts') && !tsxRegistered) {
    const { register } = await import('tsx/esm/api')
    register()
    tsxRegistered = true
  }
  let mod: Record<string, unknown>
  try {
    mod = await import(pathToFileURL(entry).href) as Record<string, unknown>
  } catch (err) {
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    throw new ConfigError(`the app in ${folder} does not load: ${detail}`, { cause: err })
  }
  const app = mod.default
  if (!isApp(app)) throw new ConfigError(`the app in ${folder} must default-export defineApp({ ... }) from ${entry}`)
  return app
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
