// A quick throughput check, not a test: asks/s between actor systems on real
// libp2p in one process (3 peers, lmdb stores), at 1 and 100 in flight, and
// in-process asks. "get" changes no state; "add" saves and replicates to 2
// peers before it answers (or, with replyAfterSave: false, saves after). Run: npx tsx test/actors/bench.ts
import '../../src/compat.js'
import { ActorCluster } from './harness.js'
import { counterActor, newEvents } from './counter.js'

const cluster = await ActorCluster.start({ transport: 'libp2p', definitions: peer => [counterActor(peer, newEvents()), counterActor(peer, newEvents(), { type: 'fast', replyAfterSave: false })] })
const b = cluster.peer('b').system
const remote = Array.from({ length: 100 }, (_, i) => cluster.addressOn('a', 'counter', i * 1000))
const local = Array.from({ length: 100 }, (_, i) => cluster.addressOn('b', 'counter', i * 1000))
const remoteFast = Array.from({ length: 100 }, (_, i) => cluster.addressOn('a', 'fast', i * 1000))

async function run(addresses: string[], handler: string, inFlight: number, durationMs: number): Promise<{ perSecond: number, p50: number }> {
  const latencies: number[] = []
  const end = performance.now() + durationMs
  await Promise.all(Array.from({ length: inFlight }, async (_, w) => {
    const address = addresses[w % addresses.length] as string
    while (performance.now() < end) {
      const t = performance.now()
      await b.ask(address, handler, handler === 'add' ? 1 : undefined)
      latencies.push(performance.now() - t)
    }
  }))
  latencies.sort((x, y) => x - y)
  return { perSecond: Math.round(latencies.length / (durationMs / 1000)), p50: Number((latencies[latencies.length >> 1] ?? 0).toFixed(2)) }
}

// Baseline in the same run: a bare messenger request on the same link.
const pa = cluster.peer('a')
const pb = cluster.peer('b')
pa.messenger.handle('bench.echo', (_from, body) => body)
async function raw(inFlight: number, durationMs: number): Promise<number> {
  let done = 0
  const end = performance.now() + durationMs
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await pb.messenger.request(pa.id, 'bench.echo', { a: 'counter/k1', h: 'get' })
      done++
    }
  }))
  return Math.round(done / (durationMs / 1000))
}
await raw(10, 300)
for (const n of [1, 100]) console.log(`bare messenger request ${String(n).padStart(3)} in flight: ${await raw(n, 2000)}/s`)

await run(remote, 'get', 10, 500)
await run(local, 'get', 10, 300)
for (const [label, addresses] of [['remote', remote], ['local', local]] as const) {
  for (const handler of ['get', 'add']) {
    for (const n of [1, 100]) {
      const r = await run(addresses, handler, n, 2000)
      console.log(`${label} ask ${handler.padEnd(3)} ${String(n).padStart(3)} in flight (${n} actors): ${r.perSecond}/s, p50 ${r.p50} ms`)
    }
  }
}
for (const n of [1, 100]) {
  const r = await run(remoteFast, 'add', n, 2000)
  console.log(`remote ask add ${String(n).padStart(3)} in flight, replyAfterSave: false: ${r.perSecond}/s, p50 ${r.p50} ms`)
}
await cluster.close()
