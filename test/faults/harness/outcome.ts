// What the run left behind, gathered after the faults: the ledger files, and
// the final task records as the peers report them over HTTP.

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Slot } from './cluster.js'
import { httpJson, mapLimit, sleep } from './http.js'
import type { Enqueued, FinalTask, LedgerEntry } from './types.js'

export async function readLedgers(dir: string): Promise<{ ledger: LedgerEntry[], badLines: number }> {
  const ledger: LedgerEntry[] = []
  let badLines = 0
  for (const file of (await readdir(dir)).filter(f => f.startsWith('ledger-') && f.endsWith('.jsonl'))) {
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n')) {
      if (line === '') continue
      try {
        ledger.push(JSON.parse(line) as LedgerEntry)
      } catch {
        badLines++
      }
    }
  }
  return { ledger, badLines }
}

/** Waits until no peer that is up has a pending or running task (or time runs out); returns whether it settled. */
export async function settle(slots: () => Slot[], timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    try {
      const busy = await Promise.all(slots().filter(s => s.state === 'up').flatMap(s => ['pending', 'running'].map(async state => {
        const res = await httpJson<{ tasks: unknown[] }>(`${s.http}/tasks?state=${state}&limit=1`, { timeoutMs: 3_000 })
        return res.status !== 200 || res.body.tasks.length > 0
      })))
      if (!busy.some(Boolean)) return true
    } catch {
      // a peer did not answer in time: look again
    }
    await sleep(500)
  }
  return false
}

const FINALITY: Record<FinalTask['state'], number> = { pending: 0, running: 1, cancelled: 2, failed: 3, done: 4 }

interface RecordBody { state: FinalTask['state'], attempts: Array<{ peer: string, outcome?: string }> }

/** Each task's most final copy among the peers that are up (asking the first peer, then the others for tasks not done there). */
export async function finalStates(enqueued: readonly Enqueued[], slots: Slot[]): Promise<Map<string, FinalTask | undefined>> {
  const names = new Map(slots.map(s => [s.id, s.name]))
  const final = new Map<string, FinalTask | undefined>()
  await mapLimit(enqueued, 16, async e => {
    let best: FinalTask | undefined
    for (const s of slots) {
      try {
        const res = await httpJson<RecordBody>(`${s.http}/tasks/${encodeURIComponent(e.id)}`, { timeoutMs: 5_000 })
        if (res.status !== 200) continue
        const copy: FinalTask = { state: res.body.state, okPeers: [...new Set(res.body.attempts.filter(a => a.outcome === 'ok').map(a => names.get(a.peer) ?? a.peer))] }
        if (best === undefined || FINALITY[copy.state] > FINALITY[best.state]) best = copy
        if (best.state === 'done') break
      } catch {
        // this peer did not answer: ask the next
      }
    }
    final.set(e.id, best)
  })
  return final
}
