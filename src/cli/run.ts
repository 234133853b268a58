// Dispatches `troupe <command>`. Every failure is one clear line on stderr and
// a non-zero exit code; stacks are printed only with TROUPE_DEBUG=1.

import { isTroupeError } from '../errors.js'
import { VERSION } from '../version.js'
import { startCommand, START_HELP } from './start.js'
import { UsageError } from './usage.js'

export const HELP = `troupe: a brokerless actor cluster runtime

Usage: troupe <command> [options]

Commands:
  start     start a peer (see troupe start --help)

Options:
  -h, --help     show this help
  -v, --version  print the version
`

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
      case 'start':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(START_HELP)
          return 0
        }
        return await startCommand(rest)
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; try troupe --help`)
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
  if (isTroupeError(err) && err.name === 'ConfigError') {
    process.stderr.write(`troupe: ${err.message}\n`)
    return 2
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  process.stderr.write(`troupe: failed: ${message}\n`)
  return 1
}
