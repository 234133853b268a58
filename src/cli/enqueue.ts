// `troupe enqueue <task> [<json input>]`: POST /tasks on a running peer and
// print the new task's id (alone on its line, for `id=$(troupe enqueue ...)`).

import { STATUS_URL_DEFAULT, STATUS_WAIT_MS_DEFAULT } from './status.js'
import { json, parseClientArgs, request, wholeNumber } from './tasks.js'
import { UsageError } from './usage.js'

export const ENQUEUE_HELP = `Usage: troupe enqueue <task> [<json input>] [options]

Enqueues a task on a running peer and prints its id. The input is one JSON
argument (default {}), checked by the peer against the task's schema.
Example: troupe enqueue tally '{"key":"k","by":3}'

Options:
  --delay-ms <n>           run no earlier than this many ms from now
  --run-at <time>          run no earlier than this time: ISO 8601 (2026-12-24T18:00:00Z)
                           or ms since the epoch (not with --delay-ms)
  --task-timeout-ms <n>    the attempt deadline of this task (default the task's)
  --idempotency-key <k>    same key (per task name) = same task: safe to repeat
  --priority <n>           higher runs first among due tasks (default the task's)
  --url <url>              the peer's HTTP URL (default ${STATUS_URL_DEFAULT}, or TROUPE_URL)
  --admin-token-file <f>   file holding the peer's admin token (or set TROUPE_ADMIN_TOKEN)
  --wait-ms <n>            keep trying this long while the peer is unreachable (default ${STATUS_WAIT_MS_DEFAULT})
  --json                   print { "id": ... } as JSON
  -h, --help               show this help
`

export async function enqueueCommand(argv: string[]): Promise<number> {
  const { values, positionals, client } = parseClientArgs(argv, {
    'delay-ms': { type: 'string' },
    'run-at': { type: 'string' },
    'task-timeout-ms': { type: 'string' },
    'idempotency-key': { type: 'string' },
    priority: { type: 'string' },
  }, [1, 2], 'a task name')
  const [name, raw] = positionals
  const body: Record<string, unknown> = { name, input: raw === undefined ? {} : parseInput(raw) }
  if (values['delay-ms'] !== undefined) body.delayMs = wholeNumber('--delay-ms', values['delay-ms'] as string, 0)
  if (values['run-at'] !== undefined) {
    if (values['delay-ms'] !== undefined) throw new UsageError('give --delay-ms or --run-at, not both')
    body.runAt = wallTime('--run-at', values['run-at'] as string)
  }
  if (values['task-timeout-ms'] !== undefined) body.taskTimeoutMs = wholeNumber('--task-timeout-ms', values['task-timeout-ms'] as string, 1)
  if (values['idempotency-key'] !== undefined) body.idempotencyKey = values['idempotency-key']
  if (values.priority !== undefined) body.priority = finite('--priority', values.priority as string)
  const { id } = await request<{ id: string }>(client, 'POST', '/tasks', `enqueue ${name!}`, body)
  process.stdout.write(client.json ? json({ id }) : `${id}\n`)
  return 0
}

function parseInput(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown
  } catch (err) {
    throw new UsageError(`the input is not valid JSON (${(err as Error).message}); quote it, e.g. '{"key":"k"}'`)
  }
}

/** ms since the epoch, from digits or an ISO 8601 date-time (one that names its zone, so every machine reads the same instant). */
function wallTime(flag: string, raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw)
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)
  const at = Date.parse(raw)
  // Date.parse rolls a day past the month's end over (2026-02-30 is March 2): refused instead.
  const [y, m, d] = raw.slice(0, 10).split('-').map(Number) as [number, number, number]
  const realDay = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d
  if (!zoned || !Number.isFinite(at) || !realDay) throw new UsageError(`${flag} must be an ISO 8601 time with its zone (2026-12-24T18:00:00Z) or ms since the epoch, got ${JSON.stringify(raw)}`)
  return at
}

function finite(flag: string, raw: string): number {
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} must be a number, got ${JSON.stringify(raw)}`)
  return n
}
