// Structured logs: one line per event, with the peer id bound. JSON by default,
// pretty when the output is a terminal. Components take this small interface
// so tests can pass a recording logger.

import { createRequire } from 'node:module'
import { pino, type Logger as PinoLogger } from 'pino'
import type { build as PrettyBuild } from 'pino-pretty'

/** pino-pretty (30 CommonJS modules) is loaded only when a terminal asks for pretty lines, not by every peer. */
function prettyStream(options: Parameters<typeof PrettyBuild>[0]): ReturnType<typeof PrettyBuild> {
  const { build } = createRequire(import.meta.url)('pino-pretty') as { build: typeof PrettyBuild }
  return build(options)
}

export type LogFields = Record<string, unknown>

/** The structured logger every part takes: message first, fields second; `child` adds fields to every line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(bindings: LogFields): Logger
}

/** The least severe level a logger prints; `silent` prints nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Options of `createLogger`. */
export interface LoggerInit {
  level?: LogLevel
  pretty?: boolean
  /** Where lines go; defaults to stdout. */
  destination?: NodeJS.WritableStream
}

/** A pino logger at `level` (JSON lines, or pretty when `pretty`). */
export function createLogger(init: LoggerInit = {}): Logger {
  const level = init.level ?? 'info'
  const usePretty = init.pretty ?? false
  const base = usePretty
    ? pino({ level, base: undefined }, prettyStream({ sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }))
    : pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, init.destination as never)
  return wrap(base)
}

function wrap(p: PinoLogger): Logger {
  return {
    debug: (msg, fields) => { p.debug(fields ?? {}, msg) },
    info: (msg, fields) => { p.info(fields ?? {}, msg) },
    warn: (msg, fields) => { p.warn(fields ?? {}, msg) },
    error: (msg, fields) => { p.error(fields ?? {}, msg) },
    child: (bindings) => wrap(p.child(bindings)),
  }
}

/** A logger that drops everything, for tests and embedded use that wants silence. */
export const silentLogger: Logger = {
  debug: () => {}, info: () => {}, warn: () => {}, error: () => {},
  child: () => silentLogger,
}
