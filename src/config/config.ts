// The peer's configuration: one typed object, validated once at start. Every
// error names the field and what was wrong with it.

import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import type { MembershipInit } from '../membership/options.js'
import type { LogLevel } from '../util/logger.js'
import { STORE_FREE_BYTES_MIN_DEFAULT } from '../store/space.js'

export const DEFAULT_HTTP_PORT = 8080
export const DEFAULT_HTTP_HOST = '127.0.0.1'
/** The libp2p port defaults to the HTTP port plus this, so `--port 8081` alone gives a second peer its own ports. */
export const P2P_PORT_OFFSET = 1000

const multiaddrString = z.string().superRefine((value, ctx) => {
  try {
    const ma = multiaddr(value)
    if (!ma.protoNames().includes('tcp')) ctx.addIssue({ code: 'custom', message: `${value} has no /tcp/ part` })
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${value} is not a multiaddr (${(err as Error).message})` })
  }
})

const port = z.number().int().min(0).max(65535)

const schema = z.object({
  listen: z.array(multiaddrString).min(1),
  announce: z.array(multiaddrString),
  seeds: z.array(multiaddrString),
  http: z.object({ port, host: z.string().min(1) }).nullable(),
  dataDir: z.string().min(1),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']),
  prettyLogs: z.boolean(),
  /** How long a graceful stop waits for work in flight before it gives up. */
  stopTimeoutMs: z.number().int().positive(),
  /** Writes are refused (StoreFullError, 507) while the data folder's disk has less free than this; 0: no check. */
  storeFreeBytesMin: z.number().int().nonnegative(),
})

export type PeerConfig = z.infer<typeof schema> & { membership: MembershipInit, leaseMs: number | undefined, voterReplaceAfterMs: number | undefined }

export interface PeerConfigInit {
  listen?: string[]
  announce?: string[]
  seeds?: string[]
  /** `false` runs no HTTP server (embedded use). */
  http?: { port?: number, host?: string } | false
  dataDir?: string
  logLevel?: LogLevel
  prettyLogs?: boolean
  stopTimeoutMs?: number
  /** Free disk space kept in reserve (default 64 MiB): below it, writes to the store are refused and the peer does not start. */
  storeFreeBytesMin?: number
  membership?: MembershipInit
  /**
   * The lease term M (default 6 000 ms): how long a crashed holder keeps its
   * partitions. The renewal interval (M/3) and round timeout scale with it.
   */
  leaseMs?: number
  /**
   * A voter dead this long (default 120 000 ms) is replaced by the side that
   * still has a majority of the voters.
   */
  voterReplaceAfterMs?: number
}

export function resolveConfig(init: PeerConfigInit): PeerConfig {
  const httpPort = init.http === false ? undefined : init.http?.port ?? DEFAULT_HTTP_PORT
  const p2pPort = httpPort === undefined || httpPort === 0 ? 0 : httpPort + P2P_PORT_OFFSET
  const candidate = {
    listen: init.listen ?? [`/ip4/127.0.0.1/tcp/${p2pPort}`],
    announce: init.announce ?? [],
    seeds: init.seeds ?? [],
    http: init.http === false ? null : { port: httpPort, host: init.http?.host ?? DEFAULT_HTTP_HOST },
    dataDir: init.dataDir ?? `.troupe/peer-${httpPort ?? 'embedded'}`,
    logLevel: init.logLevel ?? 'info',
    prettyLogs: init.prettyLogs ?? false,
    stopTimeoutMs: init.stopTimeoutMs ?? 10_000,
    storeFreeBytesMin: init.storeFreeBytesMin ?? STORE_FREE_BYTES_MIN_DEFAULT,
  }
  const parsed = schema.safeParse(candidate)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    const field = first === undefined ? 'config' : first.path.join('.')
    throw new ConfigError(`invalid configuration: ${field}: ${first?.message ?? 'invalid'}`, { details: parsed.error.issues })
  }
  return { ...parsed.data, membership: init.membership ?? {}, leaseMs: init.leaseMs, voterReplaceAfterMs: init.voterReplaceAfterMs }
}
