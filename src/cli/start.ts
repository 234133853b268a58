// `troupe start`: runs one peer until SIGINT or SIGTERM, then stops it
// gracefully (a second signal exits at once).

import { readSecretFile, SECRET_ENV } from '../net/secret.js'
import { parseArgs } from 'node:util'
import { loadApp } from '../app/load.js'
import { readConfigFile } from '../config/file.js'
import { resolveSources, type FlagValues } from '../config/sources.js'
import { createPeer } from '../peer/peer.js'
import { UsageError } from './usage.js'

export const START_HELP = `Usage: troupe start [options]

Starts a peer: joins the cluster through the seeds, serves actions over HTTP.

Options (flags win over TROUPE_* variables, which win over the --config file;
see docs/configuration.md):
  --config <file>    JSON file with any of the settings below (camelCase keys:
                     port, host, listen, announce, seeds, app, data, logLevel,
                     suspectAfterMs, deadAfterMs, stopTimeoutMs, leaseMs)
  --port <n>         HTTP port (default 8080; 0 picks a free one)
  --host <addr>      HTTP address to bind (default 127.0.0.1)
  --listen <ma>      libp2p multiaddr to listen on, repeatable
                     (default /ip4/127.0.0.1/tcp/<port + 1000>)
  --announce <ma>    multiaddr to announce instead, repeatable
  --seed <ma>        multiaddr of a peer to join through, repeatable
  --app <dir>        app folder whose index module default-exports defineApp()
                     (default ./actors)
  --data <dir>       data folder: identity and store (default .troupe/peer-<port>)
  --log-level <l>    debug | info | warn | error | silent (default info)
  --suspect-after-ms <n>  silence before a member is suspected (default 3000)
  --dead-after-ms <n>     silence before a member is declared dead (default 8000)
  --secret-file <f>       file holding the cluster secret (or set TROUPE_CLUSTER_SECRET);
                          peers without it cannot connect. Never pass the secret itself.
  --lease-ms <n>          lease term: how long a crashed holder keeps its partitions (default 6000)
  --stop-timeout-ms <n>   how long a graceful stop waits (default 10000)
  -h, --help         show this help
`

export async function startCommand(argv: string[]): Promise<number> {
  const flags = parse(argv)
  const file = typeof flags.config === 'string' ? await readConfigFile(flags.config) : undefined
  const { app: appDir, secretFile, ...config } = resolveSources(file, process.env, flags)
  const secret = secretFile === undefined ? nonEmpty(process.env[SECRET_ENV]) : await readSecretFile(secretFile)
  const app = await loadApp(appDir)
  const peer = await createPeer({ ...config, secret, app, prettyLogs: process.stdout.isTTY === true, processMetrics: true })
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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/** The flags as strings; resolveSources checks and types them, naming the flag in errors. */
function parse(argv: string[]): FlagValues {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
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
        'lease-ms': { type: 'string' },
        'stop-timeout-ms': { type: 'string' },
        'secret-file': { type: 'string' },
      },
    }).values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
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
