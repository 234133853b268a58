// The task plane's public surface: definitions, the service, the claims
// interface the lease module is adapted to, the pub/sub adapters, records
// and their pure merge, and the errors.
export { defineTask, FREQUENCY_MS_MIN, type RetryPolicy, type TaskContext, type TaskContextBase, type TaskContextExtensions, type TaskDefinition, type TaskInit, type TaskScope } from './define.js'
export { TaskService, INPUT_BYTES_MAX, type EnqueueItem, type EnqueueManyOptions, type EnqueueOptions, type TaskOptions, type StopOptions, type TaskServiceComponents, type TaskServiceStatus } from './service.js'
export type { RunnerStatus } from './runner.js'
export type { TaskServiceInit, TaskLimits } from './options.js'
export { hashPartition, StaticAssignment, StaticClaims, type ClaimsChange, type PartitionClaims, type PartitionGrant } from './claims.js'
export { libp2pPubSub, MemoryBus, type BusHandler, type TaskPubSub } from './bus.js'
export { isFinished, isTerminal, type Attempt, type AttemptOutcome, type TaskRecord, type TaskState } from './record.js'
export { mergeRecords } from './merge.js'
export type { TaskQuery } from './store.js'
export type { SyncResult } from './sync.js'
export { idForKey } from './ids.js'
export { currentOccurrence, occurrenceId, CRON_CATCHUP_MS, type Occurrence } from './periodic.js'
export { parseCron, CronError, type CronSchedule } from './cron.js'
export {
  NotReplicatedError, PartitionLostError, TaskCancelledError, TaskNotFoundError, TaskServiceStoppingError, TaskStateError, UnknownTaskError, ValidationError,
} from './errors.js'
export * from './constants.js'
