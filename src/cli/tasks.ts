// `troupe tasks list|show|retry|cancel|delete|pause|resume`: the task routes of a running
// peer (src/http/task-routes.ts) from the command line. Also the small HTTP
// client that `troupe enqueue` shares: --url/TROUPE_URL, "waiting for <url>..."
// while the peer is unreachable, and server errors as one line.

import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Attempt, TaskRecord, TaskState } from '../tasks/record.js'
import { LIST_SCAN_RECORDS } from '../tasks/constants.js'
import { formatDuration, formatTable } from './format.js'
import { STATUS_URL_DEFAULT, STATUS_WAIT_MS_DEFAULT } from './status.js'
import { CommandError, UsageError } from './usage.js'

const STATES: readonly TaskState[] = ['pending', 'running', 'done', 'failed', 'cancelled']
/** Long enough for an enqueue that waits for a replica's ack. */
const REQUEST_TIMEOUT_MS = 30_000
const RETRY_EVERY_MS = 250

const COMMON_OPTIONS = `  --url <url>        the peer's HTTP URL (default ${STATUS_URL_DEFAULT}, or TROUPE_URL)
  --admin-token-file <f>  file holding the peer's admin token (or set TROUPE_ADMIN_TOKEN)
  --wait-ms <n>      keep trying this long while the peer is unreachable (default ${STATUS_WAIT_MS_DEFAULT})
  --json             print the peer's answer as JSON
  -h, --help         show this help
`

export const TASKS_HELP = `Usage: troupe tasks <subcommand> [options]

Inspects and controls the tasks a running peer knows.

Subcommands:
  list               the tasks, newest first: id, name, scope, state, attempts, last peer, updated
  show <id>          one task with its attempts
  retry <id>         runs a failed or cancelled task again
  cancel <id>        cancels a pending or running task
  delete <id>        deletes a task in any state
  pause              this peer starts no task until resumed (those running end as usual)
  resume             this peer starts tasks again

Run troupe tasks <subcommand> --help for its options. Enqueue with troupe enqueue.
`

const SUB_HELP: Record<string, string> = {
  list: `Usage: troupe tasks list [options]

Lists the tasks the peer knows: id, name, scope, state, attempts (this
round), last peer (last 8 characters of its id), time since the last update.

Options:
  --state <s>        only tasks in this state: ${STATES.join(', ')}
  --name <task>      only tasks with this name
  --limit <n>        at most this many (default 100, at most 1000)
${COMMON_OPTIONS}`,
  show: `Usage: troupe tasks show <id> [options]

Shows one task: its input, state, times and every attempt (peer, fence,
outcome, error, duration).

Options:
${COMMON_OPTIONS}`,
  retry: `Usage: troupe tasks retry <id> [options]

Runs a failed or cancelled task again, with a fresh count of attempts.

Options:
${COMMON_OPTIONS}`,
  cancel: `Usage: troupe tasks cancel <id> [options]

Cancels a pending or running task; a running handler's signal fires.

Options:
${COMMON_OPTIONS}`,
  delete: `Usage: troupe tasks delete <id> [options]

Deletes a task in any state (a running handler is aborted).

Options:
${COMMON_OPTIONS}`,
}

const RUNNER_HELP = (op: 'pause' | 'resume'): string => op === 'pause'
  ? `Usage: troupe tasks pause [options]

Stops this peer from starting tasks: attempts under way end as usual, new
tasks still arrive and are stored, and "all" tasks wait here. The peer keeps
the partitions it holds, so their "any" tasks wait too; stop the peer to hand
them to others. GET /status shows tasks.paused.

Options:
${COMMON_OPTIONS}`
  : `Usage: troupe tasks resume [options]

Lets a paused peer start tasks again: what waited starts at once.

Options:
${COMMON_OPTIONS}`
SUB_HELP.pause = RUNNER_HELP('pause')
SUB_HELP.resume = RUNNER_HELP('resume')

/** The help `troupe tasks ... --help` prints: the subcommand's when one is named. */
export function tasksHelp(argv: string[]): string {
  const sub = argv[0]
  return sub !== undefined && Object.hasOwn(SUB_HELP, sub) ? SUB_HELP[sub]! : TASKS_HELP
}

export async function tasksCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === undefined) {
    process.stdout.write(TASKS_HELP)
    return 2
  }
  switch (sub) {
    case 'list': return list(rest)
    case 'show': return show(rest)
    case 'retry':
    case 'cancel':
    case 'delete': return control(sub, rest)
    case 'pause':
    case 'resume': return runner(sub, rest)
    default: throw new UsageError(`unknown tasks subcommand ${JSON.stringify(sub)}; try troupe tasks --help`)
  }
}

async function list(argv: string[]): Promise<number> {
  const { values, client } = parseClientArgs(argv, { state: { type: 'string' }, name: { type: 'string' }, limit: { type: 'string' } }, [0, 0])
  const query = new URLSearchParams()
  if (values.state !== undefined) {
    if (!STATES.includes(values.state as TaskState)) throw new UsageError(`--state must be one of ${STATES.join(', ')}, got ${JSON.stringify(values.state)}`)
    query.set('state', values.state as string)
  }
  if (values.name !== undefined) query.set('name', values.name as string)
  if (values.limit !== undefined) query.set('limit', String(wholeNumber('--limit', values.limit as string, 1)))
  const qs = query.size === 0 ? '' : `?${query.toString()}`
  const { tasks, truncated = false } = await request<{ tasks: TaskRecord[], truncated?: boolean }>(client, 'GET', `/tasks${qs}`, 'list tasks')
  process.stdout.write(client.json ? json({ tasks, truncated }) : formatTaskList(tasks, Date.now()))
  // The peer stops reading after LIST_SCAN_RECORDS stored records: say so, on stderr, where a table reader looks.
  if (truncated && !client.json) process.stderr.write(`the peer stopped reading after ${LIST_SCAN_RECORDS} stored tasks before --limit matched: more may match; narrow the query (--state, --name)\n`)
  return 0
}

async function show(argv: string[]): Promise<number> {
  const { positionals: [id], client } = parseClientArgs(argv, {}, [1, 1], 'a task id')
  const record = await request<TaskRecord>(client, 'GET', `/tasks/${encodeURIComponent(id!)}`, `show task ${id!}`)
  process.stdout.write(client.json ? json(record) : formatTask(record, Date.now()))
  return 0
}

async function control(op: 'retry' | 'cancel' | 'delete', argv: string[]): Promise<number> {
  const { positionals: [id], client } = parseClientArgs(argv, {}, [1, 1], 'a task id')
  const path = `/tasks/${encodeURIComponent(id!)}`
  const record = op === 'delete'
    ? await request<TaskRecord>(client, 'DELETE', path, `delete task ${id!}`)
    : await request<TaskRecord>(client, 'POST', `${path}/${op}`, `${op} task ${id!}`)
  const done = op === 'delete' ? 'deleted' : op === 'retry' ? 'retried' : 'cancelled'
  process.stdout.write(client.json ? json(record) : `${done} task ${record.id} (${record.name}): now ${record.deleted ? 'deleted' : record.state}\n`)
  return 0
}

async function runner(op: 'pause' | 'resume', argv: string[]): Promise<number> {
  const { client } = parseClientArgs(argv, {}, [0, 0])
  const answer = await request<{ paused: boolean }>(client, 'POST', `/tasks/${op}`, `${op} the peer's tasks`)
  process.stdout.write(client.json ? json(answer) : answer.paused ? 'paused: this peer starts no task until troupe tasks resume\n' : 'resumed: this peer starts tasks\n')
  return 0
}

// --- the shared client ---

export interface ClientArgs {
  url: string
  waitMs: number
  json: boolean
  /** Sent as `Authorization: Bearer <token>`: the admin token, from --admin-token-file or TROUPE_ADMIN_TOKEN. */
  token?: string
}

export const ADMIN_TOKEN_ENV = 'TROUPE_ADMIN_TOKEN'

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options']

/** Parses `--url --wait-ms --json` plus `options`, with `min` to `max` positionals (`names` says which in errors). */
export function parseClientArgs(argv: string[], options: Options, [min, max]: readonly [number, number], names = ''): { values: Record<string, string | boolean | undefined>, positionals: string[], client: ClientArgs } {
  let parsed
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { ...options, url: { type: 'string' }, 'wait-ms': { type: 'string' }, json: { type: 'boolean' }, 'admin-token-file': { type: 'string' } } })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  if (parsed.positionals.length < min) throw new UsageError(`expected ${names}; see --help`)
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}; see --help`)
  const url = (values.url as string | undefined) ?? (process.env.TROUPE_URL || STATUS_URL_DEFAULT)
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) throw new UsageError(`--url must be an http:// or https:// URL, got ${JSON.stringify(url)}`)
  const waitMs = values['wait-ms'] === undefined ? STATUS_WAIT_MS_DEFAULT : wholeNumber('--wait-ms', values['wait-ms'] as string, 0)
  const token = adminToken(values['admin-token-file'] as string | undefined)
  return { values, positionals: parsed.positionals, client: { url: url.replace(/\/+$/, ''), waitMs, json: values.json === true, token } }
}

/** The admin token from a file (trimmed) or the environment; the file wins. Never a command-line value: those show in `ps`. */
function adminToken(file: string | undefined): string | undefined {
  if (file === undefined) return process.env[ADMIN_TOKEN_ENV]?.trim() || undefined
  try {
    const token = readFileSync(file, 'utf8').trim()
    if (token === '') throw new UsageError(`--admin-token-file ${file} is empty`)
    return token
  } catch (err) {
    if (err instanceof UsageError) throw err
    throw new UsageError(`--admin-token-file: cannot read ${file}: ${(err as Error).message}`)
  }
}

/** A whole number ≥ `min`, or a usage error naming the flag. */
export function wholeNumber(flag: string, raw: string, min: number): number {
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new UsageError(`${flag} must be a whole number of at least ${min}, got ${JSON.stringify(raw)}`)
  return n
}

/**
 * One request to the peer. Retries while the peer cannot be reached (a GET on
 * any failure, other methods only when the connection was refused, so nothing
 * reached the peer), saying "waiting for <url>..." once. An error answer
 * becomes a CommandError: `cannot <what>: <message> (<name>, <status>)`.
 */
export async function request<T>(client: ClientArgs, method: string, path: string, what: string, body?: unknown): Promise<T> {
  const deadline = performance.now() + client.waitMs
  let waited = false
  for (;;) {
    let res: Response
    try {
      res = await fetch(`${client.url}${path}`, {
        method,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        headers: headers(client, body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      const retry = method === 'GET' || causeCode(err) === 'ECONNREFUSED'
      if (!retry || performance.now() + RETRY_EVERY_MS > deadline) throw new CommandError(`cannot reach a peer at ${client.url}: ${reason(err)}`, { cause: err })
      if (!waited) process.stderr.write(`waiting for ${client.url}...\n`)
      waited = true
      await new Promise(resolve => setTimeout(resolve, RETRY_EVERY_MS))
      continue
    }
    const answer = await res.json().catch(() => undefined) as unknown
    if (res.ok && typeof answer === 'object' && answer !== null) return answer as T
    const hint = res.status !== 401 ? '' : client.token === undefined ? `; set ${ADMIN_TOKEN_ENV} or --admin-token-file` : '; the token sent was refused'
    throw new CommandError(`cannot ${what}: ${describeError(res, answer)}${hint}`)
  }
}

function headers(client: ClientArgs, json: boolean): Record<string, string> {
  const out: Record<string, string> = { accept: 'application/json' }
  if (json) out['content-type'] = 'application/json'
  if (client.token !== undefined) out.authorization = `Bearer ${client.token}`
  return out
}

interface ErrorBody { error?: { name?: string, message?: string, fields?: Array<{ path?: unknown[], message?: string }> } }

function describeError(res: Response, answer: unknown): string {
  const error = (answer as ErrorBody | undefined)?.error
  if (typeof error?.message !== 'string') return `${res.url} answered ${res.status} ${res.statusText}; is it a troupe peer?`
  let message = error.message
  if (Array.isArray(error.fields) && error.fields.length > 0) {
    message = `invalid input: ${error.fields.map(f => `${Array.isArray(f.path) && f.path.length > 0 ? f.path.join('.') : 'input'}: ${f.message ?? '?'}`).join('; ')}`
  }
  return `${message} (${error.name ?? 'error'}, ${res.status})`
}

function causeCode(err: unknown): string | undefined {
  const code = (err as { cause?: { code?: unknown } }).cause?.code
  return typeof code === 'string' ? code : undefined
}

function reason(err: unknown): string {
  const code = causeCode(err)
  if (code !== undefined) return code === 'ECONNREFUSED' ? 'connection refused' : code
  if ((err as Error).name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS} ms`
  return (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

// --- formatting ---

/** The last 8 characters of a peer id: enough to tell peers apart (their prefixes are alike). */
export function shortPeer(id: string | undefined): string {
  return id === undefined ? '-' : id.length <= 8 ? id : id.slice(-8)
}

function ago(now: number, at: number): string {
  return `${formatDuration(Math.max(0, now - at))} ago`
}

function stateOf(r: TaskRecord): string {
  return r.deleted ? 'deleted' : r.state
}

export function formatTaskList(tasks: TaskRecord[], now: number): string {
  if (tasks.length === 0) return 'no tasks\n'
  const rows = [['ID', 'NAME', 'SCOPE', 'STATE', 'ATTEMPTS', 'LAST PEER', 'UPDATED']]
  for (const r of tasks) {
    const round = r.attempts.filter(a => a.round === r.round)
    const last = lastAttempt(r.attempts)
    rows.push([r.id, r.name, r.scope, stateOf(r), String(round.length), shortPeer(last?.peer), ago(now, r.updatedAt)])
  }
  return `${formatTable(rows)}\n`
}

function lastAttempt(attempts: Attempt[]): Attempt | undefined {
  let last: Attempt | undefined
  for (const a of attempts) if (last === undefined || a.startedAt >= last.startedAt) last = a
  return last
}

export function formatTask(r: TaskRecord, now: number): string {
  const when = (at: number): string => `${new Date(at).toISOString()} (${at > now ? `in ${formatDuration(at - now)}` : ago(now, at)})`
  const lines = [
    `task ${r.id}`,
    `  name:      ${r.name} (${r.scope})`,
    `  state:     ${stateOf(r)}${r.round > 0 ? ` (round ${r.round})` : ''}`,
    `  input:     ${JSON.stringify(r.input)}`,
    `  partition: ${r.partition}, priority ${r.priority}`,
    `  created:   ${when(r.createdAt)} by ${r.creator}`,
    `  run at:    ${when(r.runAt)}`,
    `  updated:   ${when(r.updatedAt)} by ${r.writer}`,
  ]
  if (r.idempotencyKey !== undefined) lines.push(`  key:       ${r.idempotencyKey}`)
  if (r.error !== undefined) lines.push(`  error:     ${r.error.name}: ${r.error.message}`)
  const attempts = [...r.attempts].sort((a, b) => a.startedAt - b.startedAt)
  lines.push('', attempts.length === 0 ? 'no attempts yet' : `${attempts.length} attempt${attempts.length === 1 ? '' : 's'}:`)
  if (attempts.length > 0) {
    const rows = [['ROUND', 'PEER', 'FENCE', 'STARTED', 'DURATION', 'OUTCOME', 'ERROR']]
    for (const a of attempts) {
      rows.push([
        `${a.round}.${a.n}`, shortPeer(a.peer), a.fence ?? '-', ago(now, a.startedAt),
        a.endedAt === undefined ? `${formatDuration(now - a.startedAt)} so far` : formatDuration(a.endedAt - a.startedAt),
        a.outcome ?? 'running', a.error === undefined ? '-' : `${a.error.name}: ${a.error.message}`,
      ])
    }
    lines.push(formatTable(rows))
  }
  return `${lines.join('\n')}\n`
}
