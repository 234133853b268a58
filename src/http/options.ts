// Options are checked once, when the app is built, so a typo stops the peer
// at start instead of surfacing as a strange answer later.
import { ConfigError } from '../errors.js'
import { TIMER_MS_MAX } from '../util/clock.js'
import type { HttpAppOptions } from './app.js'

export function checkOptions(options: HttpAppOptions): void {
  positive(options.bodyBytesMax, 'bodyBytesMax')
  positive(options.jsonDepthMax, 'jsonDepthMax')
  positive(options.actionTimeoutMs, 'actionTimeoutMs')
  // Node fires a timer longer than TIMER_MS_MAX after 1 ms, which would time out every call.
  if (options.actionTimeoutMs !== undefined && options.actionTimeoutMs > TIMER_MS_MAX) {
    throw new ConfigError(`createHttpApp: actionTimeoutMs must be at most ${TIMER_MS_MAX} ms (TIMER_MS_MAX), got ${options.actionTimeoutMs}`)
  }
  if (typeof options.status !== 'function') throw new ConfigError('createHttpApp: status must be a function')
  if (typeof options.peer?.id !== 'string') throw new ConfigError('createHttpApp: peer.id must be a string')
  const seen = new Set<string>()
  for (const action of options.actions) {
    if (seen.has(action.name)) throw new ConfigError(`action ${action.name} is defined twice`)
    seen.add(action.name)
  }
}

function positive(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new ConfigError(`createHttpApp: ${name} must be a positive number, got ${value}`)
}
