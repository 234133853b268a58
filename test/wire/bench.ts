// A quick throughput check, not a test: requests/s between two libp2p nodes
// in one process, at 1 and 100 in flight. Run: npx tsx test/wire/bench.ts
import '../../src/compat.js'
import { Libp2pMessenger } from '../../src/wire/libp2p-messenger.js'
import { connect, recordingLogger, startNode } from './helpers.js'

const [na, nb] = await Promise.all([startNode(), startNode()])
await connect(na, nb)
const a = new Libp2pMessenger({ node: na, logger: recordingLogger() })
const b = new Libp2pMessenger({ node: nb, logger: recordingLogger() })
await a.start()
await b.start()
b.handle('echo', (_from, body) => body)
const to = nb.peerId.toString()
const body = { actor: 'counter/42', op: 'increment', args: [1], meta: { traceId: 'abc123def456', ts: 1700000000000 } }

async function run(inFlight: number, durationMs: number): Promise<number> {
  let done = 0
  const end = performance.now() + durationMs
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await a.request(to, 'echo', body)
      done++
    }
  }))
  return done / (durationMs / 1000)
}

await run(10, 500) // warm up
for (const n of [1, 100]) console.log(`${n} in flight: ${Math.round(await run(n, 3000))} req/s`)
await a.stop()
await b.stop()
await Promise.all([na.stop(), nb.stop()])
