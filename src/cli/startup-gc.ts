// One memory-reducing garbage collection after `troupe start` has started the
// peer, if it is idle then (docs/limits.md, "Memory").
//
// Loading the peer's modules and starting it leaves V8 with more heap than an
// idle peer uses: a young generation grown for the load, old-space pages that
// are mostly garbage, compiled code that ran once. V8's memory reducer gives
// them back by itself, but only once it has seen ~5 s of low allocation,
// ~8-20 s after start. This asks for the same collection once, STARTUP_GC_DELAY_MS
// after start: what V8 does when the embedder reports low memory
// (`Isolate::LowMemoryNotification`), reached from inside the process through
// the inspector protocol's `HeapProfiler.collectGarbage` (an in-process
// session: no port, no `--expose-gc`). It pauses the main thread once for
// ~50-200 ms; a peer busier than STARTUP_GC_BUSY_MAX over the delay skips it
// (its young generation is in use, and V8's memory reducer runs once it is idle).
import type { Session } from 'node:inspector'
import { performance } from 'node:perf_hooks'

/** How long after start the collection is asked for. */
export const STARTUP_GC_DELAY_MS = 1_000

/** Event-loop utilization (0..1) over STARTUP_GC_DELAY_MS above which the peer counts as busy and it is skipped. */
export const STARTUP_GC_BUSY_MAX = 0.5

/** `0` turns the collection off (e.g. where the first second of load after start must not pause); default on. */
export const STARTUP_GC_ENV = 'TROUPE_STARTUP_GC'

/** Whether TROUPE_STARTUP_GC leaves the collection on (anything but `0`). */
export function startupGcEnabled(env: NodeJS.ProcessEnv): boolean {
  return env[STARTUP_GC_ENV]?.trim() !== '0'
}

/** Full, memory-reducing garbage collection of this isolate; false if this node has no inspector. */
export async function collectGarbageReducingMemory(): Promise<boolean> {
  let InspectorSession: typeof Session
  try {
    ({ Session: InspectorSession } = await import('node:inspector'))
  } catch {
    return false // node built without the inspector: nothing to ask
  }
  const session = new InspectorSession()
  session.connect()
  try {
    await new Promise<void>((resolve, reject) => {
      session.post('HeapProfiler.collectGarbage', (err) => { if (err === null) resolve(); else reject(err) })
    })
  } finally {
    session.disconnect()
  }
  return true
}

export interface StartupGcOptions {
  delayMs?: number
  busyMax?: number
  /** Event-loop utilization between two marks (default performance.eventLoopUtilization). */
  utilization?: () => () => number
  collect?: () => Promise<boolean>
  setTimer?: (fn: () => void, ms: number) => { unref?: () => unknown }
  /** Called with what happened: 'collected', 'busy' (skipped), 'unavailable' or the error. */
  onDone?: (outcome: 'collected' | 'busy' | 'unavailable' | Error) => void
  signal?: AbortSignal
}

function eventLoopUtilizationSince(): () => number {
  const start = performance.eventLoopUtilization()
  return () => performance.eventLoopUtilization(start).utilization
}

/** Schedules the collection (an unref'd timer: it never keeps the process alive). */
export function scheduleStartupGc(options: StartupGcOptions = {}): void {
  const { delayMs = STARTUP_GC_DELAY_MS, busyMax = STARTUP_GC_BUSY_MAX, utilization = eventLoopUtilizationSince, collect = collectGarbageReducingMemory, setTimer = setTimeout, onDone, signal } = options
  if (signal?.aborted === true) return
  const since = utilization()
  const timer = setTimer(() => {
    if (signal?.aborted === true) return
    if (since() > busyMax) { onDone?.('busy'); return }
    collect().then(
      ok => { onDone?.(ok ? 'collected' : 'unavailable') },
      (err: unknown) => { onDone?.(err instanceof Error ? err : new Error(String(err))) },
    )
  }, delayMs)
  timer.unref?.()
}
