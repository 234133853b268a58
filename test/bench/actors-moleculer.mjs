/* global process */
// One Moleculer broker per process: MOL_ROLE=srv hosts `bench.echo`, MOL_ROLE=cli
// runs closed loops of remote calls on command. TCP transporter, UDP discovery
// off, static 127.0.0.1 urls, JSON serializer, logger/metrics/tracing off.
import Moleculer from 'moleculer'
import { serve } from './lib/proc.mjs'
import { closedLoop } from './lib/stats.mjs'

const { ServiceBroker, Transporters } = Moleculer
const role = process.env.MOL_ROLE
const ports = { srv: Number(process.env.MOL_PORT_SRV), cli: Number(process.env.MOL_PORT_CLI) }

class Loopback extends Transporters.TCP {
  getNodeAddress () { return '127.0.0.1' }
}

const broker = new ServiceBroker({
  nodeID: role,
  namespace: 'troupe-bench',
  logger: false,
  metrics: false,
  tracing: false,
  requestTimeout: 10_000,
  transporter: new Loopback({ udpDiscovery: false, useHostname: false, port: ports[role], urls: [`127.0.0.1:${ports.srv}/srv`, `127.0.0.1:${ports.cli}/cli`] }),
})
if (role === 'srv') broker.createService({ name: 'bench', actions: { echo: ctx => ctx.params } })
else broker.createService({ name: 'local', actions: { echo: ctx => ctx.params } })
await broker.start()
if (role === 'cli') await broker.waitForServices(['bench'], 30_000)

serve({
  callLoop: ({ action, inflight, durationMs }) => closedLoop(() => broker.call(action, { a: 'bench/k1', h: 'get' }), { inflight, durationMs }),
})
process.once('SIGTERM', () => { broker.stop().finally(() => process.exit(0)) })
process.send({ type: 'ready' })
