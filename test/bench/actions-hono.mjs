/* global process */
// The baseline: a bare Hono handler returning the JSON the Troupe action returns.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/api/hello', c => c.json({ hello: c.req.query('name') ?? 'world', ok: true }))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, info => {
  process.send({ type: 'ready', httpUrl: `http://127.0.0.1:${info.port}` })
})
process.once('SIGTERM', () => server.close(() => process.exit(0)))
process.on('disconnect', () => process.exit(0))
