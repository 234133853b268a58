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
//
// During that collection the bytecode and baseline (Sparkplug) code of every
// function not running counts as old (STARTUP_GC_FLUSH_V8_FLAGS), so V8
// flushes it: most of it ran once while the modules loaded (schema
// constructors, module bodies, the peer's start). A function called again is
// compiled again from its source on its next call (lazily, as on its first),
// so only what an idle peer runs comes back (~1 MB of bytecode and code less).
import type { Session } from 'node:inspector'
import { performance } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'

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

/**
 * V8 flags set only during the collection, and what sets them back (V8's defaults, Node 20 / V8 11.3): bytecode
 * counts as old after 0 collections instead of 5, and baseline code is flushed with it (V8 keeps it by default).
 */
export const STARTUP_GC_FLUSH_V8_FLAGS = { on: '--bytecode-old-age=0 --flush-baseline-code', off: '--bytecode-old-age=5 --no-flush-baseline-code' }

export interface CollectOptions {
  /** Flush the code of functions not running (STARTUP_GC_FLUSH_V8_FLAGS); default true. */
  flushCode?: boolean
  /** Called after the flush flags are set back, e.g. to set TROUPE_V8_FLAGS again should they name one of them. */
  restoreFlags?: () => void
}

/** Full, memory-reducing garbage collection of this isolate; false if this node has no inspector. */
export async function collectGarbageReducingMemory(options: CollectOptions = {}): Promise<boolean> {
  const { flushCode = true, restoreFlags } = options
  let InspectorSession: typeof Session
  try {
    ({ Session: InspectorSession } = await import('node:inspector'))
  } catch {
    return false // node built without the inspector: nothing to ask
  }
  const session = new InspectorSession()
  session.connect()
  if (flushCode) setFlagsFromString(STARTUP_GC_FLUSH_V8_FLAGS.on)
  try {
    await new Promise<void>((resolve, reject) => {
      session.post('HeapProfiler.collectGarbage', (err) => { if (err === null) resolve(); else reject(err) })
    })
  } finally {
    if (flushCode) {
      setFlagsFromString(STARTUP_GC_FLUSH_V8_FLAGS.off)
      restoreFlags?.()
    }
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
