// `troupe status`: asks a running peer for /status and prints the members it
// sees as a table. Retries for a moment (a peer may still be starting), then
// fails with one line.

import { parseArgs } from 'node:util'
import { majority } from '../lease/index.js'
import type { PeerStatus } from '../peer/status.js'
import { formatDuration, formatTable } from './format.js'
import { CommandError, UsageError } from './usage.js'

export const STATUS_URL_DEFAULT = 'http://127.0.0.1:8080'
/** Long enough for a peer that is starting, short enough that a typo in --url is reported quickly. */
export const STATUS_WAIT_MS_DEFAULT = 3_000
/** One attempt: a local peer answers /status in milliseconds. */
const ATTEMPT_TIMEOUT_MS = 2_000
const RETRY_EVERY_MS = 250

export const STATUS_HELP = `Usage: troupe status [options]

Shows the members a running peer sees (state, incarnation, HTTP URL) and its
lease view (config number, voters, partitions this peer holds).

Options:
  --url <url>        the peer's HTTP URL (default ${STATUS_URL_DEFAULT}, or TROUPE_URL)
  --wait-ms <n>      keep trying this long while the peer is unreachable (default ${STATUS_WAIT_MS_DEFAULT})
  --json             print the peer's /status answer as JSON
  -h, --help         show this help
`

export async function statusCommand(argv: string[]): Promise<number> {
  const args = parse(argv)
  const status = await fetchStatus(args.url, args.waitMs, () => process.stderr.write(`waiting for ${args.url}...\n`))
  process.stdout.write(args.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status))
  return 0
}

interface StatusArgs { url: string, waitMs: number, json: boolean }

function parse(argv: string[]): StatusArgs {
  let values
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { url: { type: 'string' }, 'wait-ms': { type: 'string' }, json: { type: 'boolean' } } }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const url = values.url ?? (process.env.TROUPE_URL || STATUS_URL_DEFAULT)
  if (!/^https?:\/\/[^/]/.test(url) || !URL.canParse(url)) throw new UsageError(`--url must be an http:// or https:// URL, got ${JSON.stringify(url)}`)
  const waitMs = values['wait-ms'] === undefined ? STATUS_WAIT_MS_DEFAULT : Number(values['wait-ms'])
  if (!Number.isInteger(waitMs) || waitMs < 0) throw new UsageError(`--wait-ms must be a whole number of milliseconds, got ${JSON.stringify(values['wait-ms'])}`)
  return { url: url.replace(/\/+$/, ''), waitMs, json: values.json === true }
}

/** GET <url>/status, retrying unreachable peers until `waitMs` has passed; `onWait` is called once, at the first retry. */
export async function fetchStatus(url: string, waitMs: number, onWait: () => void): Promise<PeerStatus> {
  const deadline = performance.now() + waitMs
  let waited = false
  for (;;) {
    let res: Response
    try {
      res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS), headers: { accept: 'application/json' } })
    } catch (err) {
      if (performance.now() + RETRY_EVERY_MS > deadline) throw new CommandError(`cannot reach a peer at ${url}: ${reason(err)}`, { cause: err })
      if (!waited) onWait()
      waited = true
      await new Promise(resolve => setTimeout(resolve, RETRY_EVERY_MS))
      continue
    }
    if (!res.ok) throw new CommandError(`${url}/status answered ${res.status} ${res.statusText}; is it a troupe peer?`)
    const body = await res.json().catch(() => undefined) as PeerStatus | undefined
    if (typeof body !== 'object' || body === null || !Array.isArray(body.members)) throw new CommandError(`${url}/status did not answer with a troupe status; is it a troupe peer?`)
    return body
  }
}

function reason(err: unknown): string {
  const cause = (err as { cause?: { code?: string, message?: string } }).cause
  if (typeof cause?.code === 'string') return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code
  if ((err as Error).name === 'TimeoutError') return `no answer within ${ATTEMPT_TIMEOUT_MS} ms`
  return cause?.message ?? (err as Error).message
}

export function formatStatus(status: PeerStatus): string {
  const counts = new Map<string, number>()
  for (const m of status.members) counts.set(m.state, (counts.get(m.state) ?? 0) + 1)
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(', ')
  const rows = [['ID', 'STATE', 'FOR', 'INC', 'HTTP', 'VERSION']]
  const members = [...status.members].sort((a, b) => Number(b.self) - Number(a.self) || a.id.localeCompare(b.id))
  for (const m of members) {
    rows.push([m.self ? `${m.id} (this peer)` : m.id, m.state, formatDuration(m.stateForMs), String(m.incarnation), m.httpUrl ?? '-', m.version])
  }
  return [
    `peer ${status.peer?.id ?? '?'}: app ${status.app ?? '?'}, troupe ${status.version ?? '?'}, up ${formatDuration(status.uptimeMs)}`,
    `${status.members.length} member${status.members.length === 1 ? '' : 's'}: ${summary || 'none'}`,
    '',
    formatTable(rows),
    '',
    ...formatLeases(status),
  ].join('\n')
}

/** The lease lines: config number, voter set, partitions held (absent from peers without leases). */
function formatLeases(status: PeerStatus): string[] {
  const leases = status.leases as PeerStatus['leases'] | undefined
  if (leases === undefined) return []
  const self = status.peer?.id
  const stateOf = new Map(status.members.map(m => [m.id, m.state]))
  const voters = leases.voters.map(v => (v === self ? `${v} (this peer)` : `${v}: ${stateOf.get(v) ?? 'not seen'}`))
  const held = leases.held.length
  // Self counts as alive; a suspect still answers as far as we know.
  const up = leases.voters.filter(v => v === self || stateOf.get(v) === 'alive' || stateOf.get(v) === 'suspect').length
  const needed = majority(leases.voters.length)
  const stalled = leases.cfg > 0 && up < needed
    ? [`no majority of the voters is up (${up} of ${leases.voters.length}, ${needed} needed): no partition can be held, so no "any" task runs and no actor answers, until ${needed - up} more ${needed - up === 1 ? 'is' : 'are'} back; start the missing voters on their data folders`]
    : []
  return [
    ...(status.founding === undefined ? [] : [`founding: not yet, ${status.founding}`]),
    `leases: config ${leases.cfg}, ${leases.voters.length} voter${leases.voters.length === 1 ? '' : 's'}${leases.voter ? ' (this peer votes)' : ' (this peer does not vote)'}, this peer holds ${held} partition${held === 1 ? '' : 's'}`,
    ...stalled,
    ...voters.map(v => `  voter ${v}`),
    '',
  ]
}
