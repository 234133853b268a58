// The few logging calls the HTTP layer and actions make. Message first,
// structured fields second; a pino logger fits through a two-line adapter.

export type LogFields = Record<string, unknown>

export interface Logger {
  info: (msg: string, fields?: LogFields) => void
  warn: (msg: string, fields?: LogFields) => void
  error: (msg: string, fields?: LogFields) => void
}

/** A logger that adds `fields` (request id, action name) to every line. */
export function childLogger(parent: Logger, fields: LogFields): Logger {
  return {
    info: (msg, more) => parent.info(msg, { ...fields, ...more }),
    warn: (msg, more) => parent.warn(msg, { ...fields, ...more }),
    error: (msg, more) => parent.error(msg, { ...fields, ...more }),
  }
}

/** The default: one line per event on the console, fields as an object. */
export const consoleLogger: Logger = {
  info: (msg, fields) => console.info(msg, fields ?? {}),
  warn: (msg, fields) => console.warn(msg, fields ?? {}),
  error: (msg, fields) => console.error(msg, fields ?? {}),
}
