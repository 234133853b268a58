// Free TCP ports on 127.0.0.1, for processes that must be told their port.
//
// A port the OS hands out for `listen(0)` comes from its ephemeral range
// (32768-60999 on Linux), which every outgoing connection and every other
// `listen(0)` of the parallel test files draw from too: between this check
// and the child process binding the port, another socket could take it (a CI
// run saw "port ... is already in use"). So ports come from below that range,
// each vitest worker (VITEST_POOL_ID) from its own slice, and each call moves
// on to the next port, so two calls never hand out the same one. Where the
// ephemeral range starts too low for that (not Linux's default), it falls back
// to the OS's choice.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** Where the slices start, and how many ports each vitest worker gets. */
const FIRST_PORT = 20_000
const SLICE_PORTS = 500
const SLICES = 24

let cursor: number | undefined

export async function freePort(): Promise<number> {
  if (ephemeralLow() < FIRST_PORT + SLICES * SLICE_PORTS) return listenOn(0)
  const base = FIRST_PORT + (Number(process.env.VITEST_POOL_ID ?? 0) % SLICES) * SLICE_PORTS
  cursor ??= Math.floor(Math.random() * SLICE_PORTS)
  for (let tries = 0; tries < SLICE_PORTS; tries++) {
    const port = base + (cursor++ % SLICE_PORTS)
    const got = await listenOn(port).catch(() => undefined)
    if (got !== undefined) return got
  }
  throw new Error(`no free port in ${base}-${base + SLICE_PORTS - 1}`)
}

/** The first port of the OS's ephemeral range (Linux); 0 when unknown. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 0
  } catch {
    return 0
  }
}

/** Listens on `port` (0: any) on 127.0.0.1, closes, and resolves with the port; rejects if it is taken. */
async function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(bound))
    })
  })
}
