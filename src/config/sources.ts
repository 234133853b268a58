// `troupe start` reads its configuration from three sources, in rising order
// of precedence: a JSON file (`--config`), the environment (`TROUPE_*`), and
// the command line. Pure: no I/O, and every error names the field and where
// it came from (`TROUPE_PORT: must be a port number (0-65535), got "x"`).

import { dirname, resolve } from 'node:path'
import { ConfigError } from '../errors.js'
import type { LogLevel } from '../util/logger.js'
import type { TaskServiceInit } from '../tasks/options.js'
import type { PeerConfigInit } from './config.js'
import { FIELDS, type FieldName, type SourceKind } from './fields.js'

/** What `start` hands to createPeer, plus the app folder to load. */
export type StartConfig = PeerConfigInit & { app: string, secretFile?: string, adminTokenFile?: string, actionTokenFile?: string, tasks: TaskServiceInit }

export interface FileSource {
  /** Shown in errors; relative `app` and `data` paths in the file are resolved against its folder. */
  path: string
  /** The parsed JSON. */
  data: unknown
}

/** `parseArgs` values of `troupe start`: strings, lists for repeatable flags. */
export type FlagValues = Partial<Record<string, string | string[] | boolean>>

export type Env = Readonly<Record<string, string | undefined>>

export const DEFAULT_APP_DIR = 'actors'

export function resolveSources(file: FileSource | undefined, env: Env, flags: FlagValues): StartConfig {
  const fromFile = file === undefined ? {} : fileValues(file)
  const pick = <T>(name: FieldName): { value: T, kind: SourceKind } | undefined => {
    const field = FIELDS[name]
    const flag = flags[field.flag]
    if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) return { value: field.parse(flag, { kind: 'flag', label: `--${field.flag}` }) as T, kind: 'flag' }
    const variable = env[field.env]
    if (variable !== undefined && variable !== '') return { value: field.parse(variable, { kind: 'env', label: `${field.env}:` }) as T, kind: 'env' }
    if (file !== undefined && name in fromFile) return { value: field.parse(fromFile[name], { kind: 'file', label: `${file.path}: ${name}:` }) as T, kind: 'file' }
    return undefined
  }
  const get = <T>(name: FieldName): T | undefined => pick<T>(name)?.value
  // Paths from the file are relative to the file; from flags and the environment, to the working folder.
  const path = (name: 'app' | 'data' | 'adminTokenFile' | 'actionTokenFile'): string | undefined => {
    const found = pick<string>(name)
    return found?.kind === 'file' && file !== undefined ? resolve(dirname(file.path), found.value) : found?.value
  }
  const membership = {
    suspectAfterMs: get<number>('suspectAfterMs'),
    deadAfterMs: get<number>('deadAfterMs'),
  }
  const tasks: TaskServiceInit = {
    concurrency: get<number>('taskConcurrency'),
    storeCommit: get<TaskServiceInit['storeCommit']>('storeCommit'),
  }
  return {
    app: path('app') ?? DEFAULT_APP_DIR,
    http: { port: get<number>('port'), host: get<string>('host') },
    listen: get<string[]>('listen'),
    announce: get<string[]>('announce'),
    seeds: get<string[]>('seeds'),
    dataDir: path('data'),
    logLevel: get<LogLevel>('logLevel'),
    stopTimeoutMs: get<number>('stopTimeoutMs'),
    membership: Object.fromEntries(Object.entries(membership).filter(([, v]) => v !== undefined)),
    leaseMs: get<number>('leaseMs'),
    voterReplaceAfterMs: get<number>('voterReplaceAfterMs'),
    secretFile: get<string>('secretFile'),
    adminTokenFile: path('adminTokenFile'),
    actionTokenFile: path('actionTokenFile'),
    storeFreeBytesMin: get<number>('storeFreeBytesMin'),
    tasks: Object.fromEntries(Object.entries(tasks).filter(([, v]) => v !== undefined)),
  }
}

function fileValues({ data, path }: FileSource): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigError(`${path}: must hold a JSON object`)
  for (const key of Object.keys(data)) {
    if (!(key in FIELDS)) throw new ConfigError(`${path}: unknown key ${JSON.stringify(key)} (known: ${Object.keys(FIELDS).join(', ')})`)
  }
  return data as Record<string, unknown>
}
