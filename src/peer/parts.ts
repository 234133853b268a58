// What createPeer checks and builds from its init before the peer's parts
// start: the HTTP token policy and the worker pool of CPU-bound tasks.

import type { App } from '../app/app.js'
import { appSource } from '../app/load.js'
import type { PeerConfig } from '../config/config.js'
import { ConfigError } from '../errors.js'
import { checkToken, isLoopbackHost, type HttpAuth } from '../http/index.js'
import { systemTimers } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { CpuPool } from '../workers/pool.js'
import type { PeerInit } from './types.js'

/** The worker pool for the app's `cpu: true` tasks, or none when it has none. */
export function cpuPoolFor(app: App, init: PeerInit, logger: Logger): CpuPool | undefined {
  const cpuTasks = app.tasks.filter(t => t.cpu).map(t => t.name)
  if (cpuTasks.length === 0) return undefined
  const module = init.appModule ?? appSource(app)
  if (module === undefined) {
    throw new ConfigError(`tasks ${cpuTasks.join(', ')} are cpu: true, so worker threads must load the app again: load it with loadApp(folder) or pass createPeer({ appModule })`)
  }
  return new CpuPool({ timers: init.timers ?? systemTimers, logger: logger.child({ part: 'cpu' }) }, { app: module, size: init.cpuWorkers })
}

/** The HTTP token policy: tokens checked here, so a short one stops the start before anything opens. */
export function httpAuth(config: PeerConfig, init: PeerInit): HttpAuth {
  checkToken('adminToken', init.adminToken)
  checkToken('actionToken', init.actionToken)
  return { adminToken: init.adminToken, actionToken: init.actionToken, loopback: config.http === null || isLoopbackHost(config.http.host) }
}
