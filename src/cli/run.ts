// Dispatches `troupe <command>`. Every failure is one clear line on stderr and
// a non-zero exit code; stacks are printed only with TROUPE_DEBUG=1.

import { isTroupeError } from '../errors.js'
import { VERSION } from '../version.js'
import { START_HELP } from './start-help.js'
import { CommandError, UsageError } from './usage.js'
import { afterStart } from './after-start.js'
import { applyV8Flags } from './v8-flags.js'

export const HELP = `troupe: a brokerless actor cluster runtime

Usage: troupe <command> [options]

Commands:
  start     start a peer
  status    show the members and leases a running peer sees
  enqueue   enqueue a task on a running peer
  tasks     list, show, retry, cancel or delete tasks
  new       create an app folder to start from
  id        print (and create) the peer id of a data folder

Run troupe <command> --help for its options.

Options:
  -h, --help     show this help
  -v, --version  print the version
`

/** `help` is a function of the arguments for commands with subcommands. */
interface Command { help: string | ((argv: string[]) => string), run: (argv: string[]) => Promise<number> }

// Each command's module is loaded on use: a peer (`start`) never runs the others, and each would stay in its heap.
const COMMANDS = new Map<string, () => Promise<Command>>([
  // `start` brings libp2p. The V8 flags go first, so the heap the peer's modules fill is shaped by them; the startup ones end once it has started.
  // Once started: the startup flags end, one memory-reducing GC follows if the peer is idle, the idle flags end when it gets busy (after-start.ts).
  ['start', async () => ({ help: START_HELP, run: async argv => { const flags = applyV8Flags(); return (await import('./start.js')).startCommand(argv, { onStarted: () => { afterStart(flags, { onGcError: reportStartupGcError }) } }) } })],
  ['status', async () => { const m = await import('./status.js'); return { help: m.STATUS_HELP, run: m.statusCommand } }],
  ['enqueue', async () => { const m = await import('./enqueue.js'); return { help: m.ENQUEUE_HELP, run: m.enqueueCommand } }],
  ['tasks', async () => { const m = await import('./tasks.js'); return { help: m.tasksHelp, run: m.tasksCommand } }],
  ['new', async () => { const m = await import('./new.js'); return { help: m.NEW_HELP, run: m.newCommand } }],
  ['id', async () => { const m = await import('./id.js'); return { help: m.ID_HELP, run: m.idCommand } }],
])

/** The GC after start only saves memory: a failure is worth a line, not the peer. */
function reportStartupGcError(err: Error): void {
  process.stderr.write(`troupe: the memory-reducing GC after start failed (${err.message}); the peer runs on\n`)
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
        process.stdout.write(HELP)
        return command === undefined ? 2 : 0
      case '-v':
      case '--version':
        process.stdout.write(`${VERSION}\n`)
        return 0
      default: {
        const load = COMMANDS.get(command)
        if (load === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}; try troupe --help`)
        const found = await load()
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(typeof found.help === 'string' ? found.help : found.help(rest))
          return 0
        }
        return await found.run(rest)
      }
    }
  } catch (err) {
    return report(err)
  }
}

export function report(err: unknown): number {
  if (process.env.TROUPE_DEBUG === '1') console.error(err)
  if (err instanceof UsageError) {
    process.stderr.write(`troupe: ${err.message}\n`)
    return 2
  }
  if (err instanceof CommandError) {
    process.stderr.write(`troupe: ${err.message}\n`)
    return 1
  }
  if (isTroupeError(err) && err.name === 'ConfigError') {
    process.stderr.write(`troupe: ${err.message}\n`)
    return 2
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  process.stderr.write(`troupe: failed: ${message}\n`)
  return 1
}
