/* global process */
// One rung of the actions bisection on a socket (env STEP, see apps.mjs), plus:
//   hono-listen  bare Hono put on a socket by Troupe's listen() (connection tracking)
//   peer-hono    bare Hono (serve) in the same process as an idle full peer (http: false)
// Every other step is served by @hono/node-server's serve(), like actions-hono.mjs.
import { serve } from '@hono/node-server'
import { listen } from '../../../dist/http/index.js'
import { createPeer, silentLogger } from '../../../dist/index.js'
import { app as benchApp } from '../lib/app.mjs'
import { buildApp } from './apps.mjs'

const STEP = process.env.STEP ?? 'hono'
const ready = url => process.send({ type: 'ready', httpUrl: url })

if (STEP === 'hono-listen') {
  const l = await listen(await buildApp('hono'), { port: 0, logger: silentLogger })
  ready(l.url)
} else {
  if (STEP === 'peer-hono') {
    const { mkdtempSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const { LEASE, MEMBERSHIP } = await import('../lib/cluster.mjs')
    await createPeer({ app: benchApp, listen: ['/ip4/127.0.0.1/tcp/0'], http: false, dataDir: mkdtempSync(join(tmpdir(), 'troupe-bisect-')), seeds: [], logger: silentLogger, lease: LEASE, membership: MEMBERSHIP })
  }
  const app = await buildApp(STEP === 'peer-hono' ? 'hono' : STEP)
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, info => ready(`http://127.0.0.1:${info.port}`))
}
process.on('disconnect', () => process.exit(0))
process.once('SIGTERM', () => process.exit(0))
