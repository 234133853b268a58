// Dispatches `troupe <command>`. Every failure is one clear line on stderr and
// a non-zero exit code; stacks are printed only with TROUPE_DEBUG=1.

import { isTroupeError } from '../errors.js'
import { VERSION } from '../version.js'
import { newCommand, NEW_HELP } from './new.js'
import { startCommand, START_HELP } from './start.js'
import { statusCommand, STATUS_HELP } from './status.js'
import { CommandError, UsageError } from './usage.js'

export const HELP = `troupe: a brokerless actor cluster runtime

Usage: troupe <command> [options]

Commands:
  start     start a peer
  status    show the members a running peer sees
  new       create an app folder to start from

Run troupe <command> --help for its options.

Options:
  -h, --help     show this help
  -v, --version  print the version
`

interface Command { help: string, run: (argv: string[]) => Promise<number> }

const COMMANDS = new Map<string, Command>([
  ['start', { help: START_HELP, run: startCommand }],
  ['status', { help: STATUS_HELP, run: statusCommand }],
  ['new', { help: NEW_HELP, run: newCommand }],
])

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
        const found = COMMANDS.get(command)
        if (found === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}; try troupe --help`)
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(found.help)
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
