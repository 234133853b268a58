// The task definitions a service runs, indexed by name, with the relations
// between a definition and the service's limits checked once, at construction.
import { ConfigError } from '../errors.js'
import type { TaskDefinition } from './define.js'
import type { TaskLimits } from './options.js'
import { CRON_CATCHUP_MS } from './periodic.js'

export function indexDefinitions(definitions: readonly TaskDefinition[], limits: TaskLimits): Map<string, TaskDefinition> {
  const byName = new Map<string, TaskDefinition>()
  for (const def of definitions) {
    if (byName.has(def.name)) throw new ConfigError(`two tasks are defined with the name ${def.name}`)
    if (def.cron !== undefined && limits.retentionMs < 2 * CRON_CATCHUP_MS) {
      throw new ConfigError(`task ${def.name}: a cron task needs retentionMs >= ${2 * CRON_CATCHUP_MS}, or a firing could be collected and created again`)
    }
    if (def.frequencyMs !== undefined && def.frequencyMs > limits.retentionMs) {
      throw new ConfigError(`task ${def.name}: frequencyMs (${def.frequencyMs}) exceeds retentionMs (${limits.retentionMs}); an occurrence could be collected and created again within its period`)
    }
    byName.set(def.name, def)
  }
  return byName
}
