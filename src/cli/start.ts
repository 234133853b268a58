// `troupe start`: runs one peer until SIGINT or SIGTERM, then stops it
// gracefully (a second signal exits at once).

import { readSecretFile, SECRET_ENV } from '../net/secret.js'
export { START_HELP } from './start-help.js'
import { parseArgs } from 'node:util'
import { loadApp } from '../app/load.js'
import { readConfigFile } from '../config/file.js'
import { resolveSources, type FlagValues } from '../config/sources.js'
import { readTokens } from '../config/tokens.js'
import { createPeer, type Peer } from '../peer/peer.js'
import { systemClock, systemTimers } from '../util/clock.js'
import { reportJoining, reportStopping, type JoinFacts } from './progress.js'
import { faultsEnabled } from '../net/fault-switch.js'
import { UsageError } from './usage.js'


export interface StartHooks {
  /** Called once the peer has started (listening, before the joining report). */
  onStarted?: () => void
}

export async function startCommand(argv: string[], hooks: StartHooks = {}): Promise<number> {
  const flags = parse(argv)
  const file = typeof flags.config === 'string' ? await readConfigFile(flags.config) : undefined
  const { app: appDir, secretFile, adminTokenFile, actionTokenFile, ...config } = resolveSources(file, process.env, flags)
  const tokens = await readTokens({ adminTokenFile, actionTokenFile }, process.env)
  const secret = secretFile === undefined ? nonEmpty(process.env[SECRET_ENV]) : await readSecretFile(secretFile)
  const app = await loadApp(appDir)
  const peer = await createPeer({ ...config, ...tokens, secret, app, prettyLogs: process.stdout.isTTY === true, processMetrics: true, faults: faultsEnabled(process.env) })
  hooks.onStarted?.()
  const dialable = peer.multiaddrs[0] ?? '(no address)'
  process.stdout.write([
    `troupe peer ${peer.id} (${app.name})`,
    `  p2p:  ${peer.multiaddrs.join('\n        ')}`,
    `  http: ${peer.httpUrl ?? '(off)'}`,
    `  join it: npm start -- --port <another port> --seed ${dialable}`,
    '',
  ].join('\n'))
  const progress = { clock: systemClock, timers: systemTimers, tty: process.stderr.isTTY === true, write: (line: string) => { process.stderr.write(`${line}\n`) } }
  const joining = reportJoining(progress, () => joinFacts(peer), check => {
    peer.on('member:join', check)
    return () => { peer.off('member:join', check) }
  })
  await waitForSignal()
  joining.stop()
  process.stdout.write('troupe: stopping (press Ctrl-C again to exit at once)\n')
  const stopping = reportStopping(progress, () => peer.activity(), peer.config.stopTimeoutMs)
  const forced = waitForSignal().then(() => 'forced' as const)
  const result = await Promise.race([peer.stop().then(() => 'stopped' as const), forced]).catch((err: unknown) => {
    stopping.end('failed')
    throw err
  })
  stopping.end(result)
  // The peer's sockets and timers would keep the process alive until its stop ends: "at once" means exit now.
  if (result === 'forced') process.exit(130)
  // Stopped, its store closed. libp2p leaves timers behind its stop (the address manager's update debounced by 1 s
  // after each `transport:close`, gossipsub's next heartbeat) that would hold the process another second for nothing;
  // pino's output is flushed on exit.
  process.exit(0)
}

function joinFacts(peer: Peer): JoinFacts {
  const alive = peer.members().filter(m => m.state === 'alive')
  return { seeds: peer.config.seeds.length, membersAlive: alive.length, joined: alive.some(m => !m.self), voters: peer.leases.status().voters.length }
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
        'voter-replace-after-ms': { type: 'string' },
        'stop-timeout-ms': { type: 'string' },
        'secret-file': { type: 'string' },
        'admin-token-file': { type: 'string' },
        'action-token-file': { type: 'string' },
        'store-free-bytes-min': { type: 'string' },
        'store-commit': { type: 'string' },
        'task-concurrency': { type: 'string' },
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
