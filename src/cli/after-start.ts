// What `troupe start` (and the bench's peers) do once the peer has started
// (docs/limits.md, "Memory"): the startup V8 flags end; one memory-reducing GC
// follows a second later if the peer is idle then (startup-gc.ts); and the
// idle V8 flags end the first time the peer gets busy after that
// (busy-watch.ts), or at once if it was busy at the GC.
import { watchUntilBusy, type BusyWatchOptions } from './busy-watch.js'
import { collectGarbageReducingMemory, scheduleStartupGc, startupGcEnabled } from './startup-gc.js'
import type { AppliedV8Flags } from './v8-flags.js'

export interface AfterStartOptions {
  env?: NodeJS.ProcessEnv
  /** The GC after start failed (it only saves memory: the peer runs on). */
  onGcError?: (err: Error) => void
  signal?: AbortSignal
  /** How the busy watch measures the event loop (default its utilization; tests give their own). */
  utilization?: BusyWatchOptions['utilization']
}

export function afterStart(flags: AppliedV8Flags, options: AfterStartOptions = {}): void {
  const { env = process.env, onGcError, signal, utilization } = options
  flags.endStartup()
  const watch = (): void => { if (flags.idle !== '') watchUntilBusy({ onBusy: flags.endIdle, signal, utilization }) }
  if (!startupGcEnabled(env)) { watch(); return }
  scheduleStartupGc({
    collect: () => collectGarbageReducingMemory({ restoreFlags: flags.restoreLasting }),
    signal,
    onDone: outcome => {
      if (outcome instanceof Error) onGcError?.(outcome)
      if (outcome === 'busy') flags.endIdle()
      else watch()
    },
  })
}
