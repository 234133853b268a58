// `troupe start`: runs one peer until SIGINT or SIGTERM, then stops it
// gracefully (a second signal exits at once).

import { parseArgs } from 'node:util'
import { loadApp } from '../app/load.js'
import { createPeer } from '../peer/peer.js'
import type { LogLevel } from '../util/logger.js'
import { UsageError } from './usage.js'

export const START_HELP = `Usage: troupe start [options]

Starts a peer: joins the cluster through the seeds, serves actions over HTTP.

Options:
  --port <n>         HTTP port (default 8080; 0 picks a free one)
  --host <addr>      HTTP address to bind (default 127.0.0.1)
  --listen <ma>      libp2p multiaddr to listen on, repeatable
                     (default /ip4/127.0.0.1/tcp/<port + 1000>)
  --announce <ma>    multiaddr to announce instead, repeatable
  --seed <ma>        multiaddr of a peer to join through, repeatable
  --app <dir>        app folder whose index module default-exports defineApp()
                     (default ./actors)
  --data <dir>       data folder: identity and store (default .troupe/peer-<port>)
  --log-level <l>    debug | info | warn | error | silent (default info, or TROUPE_LOG_LEVEL)
  --suspect-after-ms <n>  silence before a member is suspected (default 3000)
  --dead-after-ms <n>     silence before a member is declared dead (default 8000)
  -h, --help         show this help
`

export async function startCommand(argv: string[]): Promise<number> {
  const args = parse(argv)
  const app = await loadApp(args.app)
  const logLevel = (args['log-level'] ?? process.env.TROUPE_LOG_LEVEL ?? 'info') as LogLevel
  const peer = await createPeer({
    app,
    http: { port: args.port, host: args.host },
    listen: args.listen,
    announce: args.announce,
    seeds: args.seed,
    dataDir: args.data,
    logLevel,
    prettyLogs: process.stdout.isTTY === true,
    membership: Object.fromEntries(Object.entries(args.membership).filter(([, v]) => v !== undefined)),
  })
  const dialable = peer.multiaddrs[0] ?? '(no address)'
  process.stdout.write([
    `troupe peer ${peer.id} (${app.name})`,
    `  p2p:  ${peer.multiaddrs.join('\n        ')}`,
    `  http: ${peer.httpUrl ?? '(off)'}`,
    `  join it: npm start -- --port <another port> --seed ${dialable}`,
    '',
  ].join('\n'))
  await waitForSignal()
  process.stdout.write('troupe: stopping (press Ctrl-C again to exit at once)\n')
  const forced = waitForSignal().then(() => 'forced' as const)
  const result = await Promise.race([peer.stop().then(() => 'stopped' as const), forced])
  return result === 'stopped' ? 0 : 130
}

interface StartArgs {
  port: number
  host: string | undefined
  listen: string[] | undefined
  announce: string[] | undefined
  seed: string[]
  app: string
  data: string | undefined
  'log-level': string | undefined
  membership: { suspectAfterMs?: number, deadAfterMs?: number }
}

function parse(argv: string[]): StartArgs {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        listen: { type: 'string', multiple: true },
        announce: { type: 'string', multiple: true },
        seed: { type: 'string', multiple: true },
        app: { type: 'string' },
        data: { type: 'string' },
        'log-level': { type: 'string' },
        'suspect-after-ms': { type: 'string' },
        'dead-after-ms': { type: 'string' },
      },
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const port = values.port === undefined ? 8080 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(values.port)}`)
  const level = values['log-level']
  if (level !== undefined && !['debug', 'info', 'warn', 'error', 'silent'].includes(level)) {
    throw new UsageError(`--log-level must be one of debug, info, warn, error, silent; got ${JSON.stringify(level)}`)
  }
  return {
    port,
    host: values.host,
    listen: values.listen,
    announce: values.announce,
    seed: values.seed ?? [],
    app: values.app ?? 'actors',
    data: values.data,
    'log-level': level,
    membership: {
      suspectAfterMs: optionalMs(values['suspect-after-ms'], '--suspect-after-ms'),
      deadAfterMs: optionalMs(values['dead-after-ms'], '--dead-after-ms'),
    },
  }
}

function optionalMs(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a whole number of milliseconds, got ${JSON.stringify(value)}`)
  return n
}

function waitForSignal(): Promise<void> {
  return new Promise(resolve => {
    const done = (): void => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      resolve()
    }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
  })
}
