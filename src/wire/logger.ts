// The little the wire layer needs from a logger. The peer passes its pino
// logger (whose methods take `(obj, msg)`) through an adapter; tests pass a
// recorder. Without one, warnings still reach stderr: a dropped frame must
// never vanish silently.

export interface WireLogger {
  warn(msg: string, fields?: object): void
  debug(msg: string, fields?: object): void
}

export const stderrWireLogger: WireLogger = {
  warn(msg, fields) {
    process.stderr.write(`[troupe:wire] WARN ${msg}${fields === undefined ? '' : ' ' + safeJson(fields)}\n`)
  },
  debug() {},
}

function safeJson(fields: object): string {
  try {
    return JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v))
  } catch {
    return '[unserializable fields]'
  }
}
