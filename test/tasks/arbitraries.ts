// fast-check generators of task records: few ids, peers and values, so
// generated copies collide often and the merge's tie-breaks get exercised.
import fc from 'fast-check'
import { RUNNER_GONE_CODE } from '../../src/tasks/constants.js'
import { mergeAttempts } from '../../src/tasks/merge.js'
import { stripUndefined, type Attempt, type TaskRecord } from '../../src/tasks/record.js'

const peer = fc.constantFrom('a', 'b', 'c')
const small = fc.integer({ min: 0, max: 3 })

export const attemptArb: fc.Arbitrary<Attempt> = fc.record({
  peer, round: small, n: fc.integer({ min: 1, max: 2 }), startedAt: small,
  endedAt: fc.option(small, { nil: undefined }),
  outcome: fc.option(fc.constantFrom('ok', 'error', 'lost'), { nil: undefined }),
  fence: fc.option(fc.constantFrom('f1', 'f2'), { nil: undefined }),
  // The runner's own error, or another peer's finding that the runner went away (the merge prefers the former).
  error: fc.option(fc.constantFrom(
    { name: 'PartitionLostError', message: 'this peer lost partition 0', code: 'ERR_PARTITION_LOST', retryable: true },
    { name: 'RunnerGoneError', message: 'gone', code: RUNNER_GONE_CODE, retryable: true },
  ), { nil: undefined }),
}).map(a => stripUndefined({ ...a, key: `${a.peer}#${a.round}.${a.n}` } as Attempt))

/** Copies of the task `t1`, normalised as the store keeps them (attempts deduplicated and sorted). */
export const recordArb: fc.Arbitrary<TaskRecord> = fc.record({
  scope: fc.constantFrom('any', 'all'),
  input: fc.constantFrom({ x: 1 }, { x: 2 }),
  priority: small,
  createdAt: small,
  creator: peer,
  state: fc.constantFrom('pending', 'running', 'done', 'failed', 'cancelled'),
  round: small,
  runAt: small,
  version: small,
  writer: peer,
  updatedAt: small,
  deleted: fc.boolean(),
  attempts: fc.array(attemptArb, { maxLength: 4 }),
}).map(r => stripUndefined({ ...r, id: 't1', name: 'job', partition: 0, attempts: mergeAttempts([], r.attempts) } as TaskRecord))
