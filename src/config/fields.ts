// The fields `troupe start` takes from a file, the environment or flags: each
// field's names in the three sources and how a raw value becomes a typed one.

import { ConfigError } from '../errors.js'
import { COMMIT_MODES } from '../tasks/constants.js'

export type SourceKind = 'file' | 'env' | 'flag'

/** Where a raw value came from: `label` prefixes every error (`TROUPE_PORT:`, `--port`, `troupe.json: port:`). */
export interface Source { kind: SourceKind, label: string }

export interface Field {
  /** Name in the environment. */
  env: string
  /** Name on the command line, without `--`. */
  flag: string
  parse(raw: unknown, from: Source): unknown
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent']

function fail(from: Source, problem: string, raw: unknown): never {
  throw new ConfigError(`${from.label} ${problem}, got ${JSON.stringify(raw)}`)
}

/** Numbers arrive as strings from flags and the environment, as JSON numbers from the file. */
function integer(raw: unknown, from: Source, problem: string, ok: (n: number) => boolean): number {
  const n = from.kind === 'file' ? raw : (typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN)
  if (typeof n !== 'number' || !Number.isInteger(n) || !ok(n)) fail(from, problem, raw)
  return n
}

const port = (raw: unknown, from: Source): number => integer(raw, from, 'must be a port number (0-65535)', n => n >= 0 && n <= 65535)
const ms = (raw: unknown, from: Source): number => integer(raw, from, 'must be a whole number of milliseconds', n => n > 0)
const bytes = (raw: unknown, from: Source): number => integer(raw, from, 'must be a whole number of bytes (0 or more)', n => n >= 0)

function text(raw: unknown, from: Source): string {
  if (typeof raw !== 'string' || raw.trim() === '') fail(from, 'must be a non-empty string', raw)
  return raw
}

/** A list: repeated flags, a comma-separated variable, or a JSON array of strings. */
function list(raw: unknown, from: Source): string[] {
  const items = from.kind === 'env' && typeof raw === 'string' ? raw.split(',').map(s => s.trim()).filter(s => s !== '') : raw
  if (!Array.isArray(items) || items.some(s => typeof s !== 'string' || s.trim() === '')) {
    fail(from, from.kind === 'env' ? 'must be a comma-separated list' : 'must be a list of strings', raw)
  }
  return items as string[]
}

/** How the task store commits (src/tasks/commit.ts). */
function storeCommit(raw: unknown, from: Source): string {
  if (typeof raw !== 'string' || !(COMMIT_MODES as readonly string[]).includes(raw)) fail(from, `must be one of ${COMMIT_MODES.join(', ')}`, raw)
  return raw
}

const count = (raw: unknown, from: Source): number => integer(raw, from, 'must be a whole number, 1 or more', n => n >= 1)

function logLevel(raw: unknown, from: Source): string {
  if (typeof raw !== 'string' || !LOG_LEVELS.includes(raw)) fail(from, `must be one of ${LOG_LEVELS.join(', ')}`, raw)
  return raw
}

/** Keys of the config file, in the order `troupe start --help` lists them. */
export const FIELDS = {
  port: { env: 'TROUPE_PORT', flag: 'port', parse: port },
  host: { env: 'TROUPE_HOST', flag: 'host', parse: text },
  listen: { env: 'TROUPE_LISTEN', flag: 'listen', parse: list },
  announce: { env: 'TROUPE_ANNOUNCE', flag: 'announce', parse: list },
  seeds: { env: 'TROUPE_SEEDS', flag: 'seed', parse: list },
  app: { env: 'TROUPE_APP', flag: 'app', parse: text },
  data: { env: 'TROUPE_DATA', flag: 'data', parse: text },
  logLevel: { env: 'TROUPE_LOG_LEVEL', flag: 'log-level', parse: logLevel },
  suspectAfterMs: { env: 'TROUPE_SUSPECT_AFTER_MS', flag: 'suspect-after-ms', parse: ms },
  deadAfterMs: { env: 'TROUPE_DEAD_AFTER_MS', flag: 'dead-after-ms', parse: ms },
  stopTimeoutMs: { env: 'TROUPE_STOP_TIMEOUT_MS', flag: 'stop-timeout-ms', parse: ms },
  leaseMs: { env: 'TROUPE_LEASE_MS', flag: 'lease-ms', parse: ms },
  voterReplaceAfterMs: { env: 'TROUPE_VOTER_REPLACE_AFTER_MS', flag: 'voter-replace-after-ms', parse: ms },
  secretFile: { env: 'TROUPE_SECRET_FILE', flag: 'secret-file', parse: text },
  adminTokenFile: { env: 'TROUPE_ADMIN_TOKEN_FILE', flag: 'admin-token-file', parse: text },
  actionTokenFile: { env: 'TROUPE_ACTION_TOKEN_FILE', flag: 'action-token-file', parse: text },
  storeFreeBytesMin: { env: 'TROUPE_STORE_FREE_BYTES_MIN', flag: 'store-free-bytes-min', parse: bytes },
  storeCommit: { env: 'TROUPE_STORE_COMMIT', flag: 'store-commit', parse: storeCommit },
  taskConcurrency: { env: 'TROUPE_TASK_CONCURRENCY', flag: 'task-concurrency', parse: count },
} satisfies Record<string, Field>

export type FieldName = keyof typeof FIELDS
