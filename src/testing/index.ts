// Testing helpers for apps: a real cluster in one process.
export { createTestCluster } from './cluster.js'
export type { TestCluster, TestClusterInit, PeerRef, ReadyWaitOptions, RunTaskOptions, AwaitTaskOptions, SendToActorOptions, ActionOptions } from './types.js'
export type { ActionCallOptions } from './action.js'
export { ActionCallError, TaskFailedError, type ActionErrorBody } from './errors.js'
export { TEST_LEASE, TEST_MEMBERSHIP, TEST_PARTITIONS } from './constants.js'
