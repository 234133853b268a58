// V8 flags for a peer started by `troupe start` (and so by `npm start` and
// `node dist/cli/main.js start`): set from inside the process, before the
// peer's modules load, so every way of starting it gets them without a shell
// feature (`env -S` in a shebang) or a second process (a re-exec would add a
// whole node process to the footprint).
//
// Three kinds (docs/limits.md, "Memory"):
// - TROUPE_V8_FLAGS, for the whole life of the process. None by default: the
//   memory-saving `--optimize-for-size` doubles the CPU per task, so keeping it
//   on is the operator's choice.
// - TROUPE_V8_STARTUP_FLAGS, only while the modules load and the peer starts,
//   then switched back off. Default `--no-turbofan`: otherwise TurboFan
//   optimizes code that is hot only while modules load, on worker threads
//   whose malloc arenas keep the memory (~3-5 MB of idle RSS); once it is on
//   again, code hot under load is optimized as before. And
//   `--semi-space-growth-factor=1`: loading the modules would otherwise double
//   the young generation four times (2 x 16 MB, ~15 MB of idle RSS until V8's
//   memory reducer shrinks it ~15 s later); set back to 2 after start, so
//   under load it grows as before.
//   `--optimize-for-size` here would save ~20 MB more (the young generation
//   that loading grows), but it is NOT a default: even switched off after
//   start it halved the peer's HTTP throughput (actions at 50 connections,
//   ~0.8x -> ~0.5x of bare Hono; docs/limits.md).
// - TROUPE_V8_IDLE_FLAGS, from the start until the started peer first gets
//   busy (busy-watch.ts watches its event loop), then switched back off; a
//   startup flag that is also an idle flag stays on until then. Default
//   `--no-turbofan`: an idle peer's timers (leases, membership) would
//   otherwise get optimized a few seconds after start, which touches ~1 MB
//   more of the node binary (TurboFan's own code) and the compile threads'
//   malloc arenas (~2.5 MB of idle RSS together); the first busy moment turns
//   TurboFan on for good.
import { setFlagsFromString } from 'node:v8'
import { UsageError } from './usage.js'

/** Applied unless TROUPE_V8_FLAGS says otherwise. */
export const DEFAULT_V8_FLAGS = ''

export const V8_FLAGS_ENV = 'TROUPE_V8_FLAGS'

/** Applied while the peer starts unless TROUPE_V8_STARTUP_FLAGS says otherwise. */
export const DEFAULT_STARTUP_V8_FLAGS = '--no-turbofan --semi-space-growth-factor=1'

export const STARTUP_V8_FLAGS_ENV = 'TROUPE_V8_STARTUP_FLAGS'

/** Applied until the started peer first gets busy unless TROUPE_V8_IDLE_FLAGS says otherwise. */
export const DEFAULT_IDLE_V8_FLAGS = '--no-turbofan'

export const IDLE_V8_FLAGS_ENV = 'TROUPE_V8_IDLE_FLAGS'

/**
 * The V8 flags with a value that TROUPE_V8_STARTUP_FLAGS accepts, with V8's default (Node 20, V8 11.3), to which
 * they are set back once the peer has started: V8 cannot say what a flag was, so only flags listed here.
 */
export const STARTUP_VALUE_FLAG_DEFAULTS: Readonly<Record<string, string>> = {
  // The young generation doubles when a scavenge finds that much survived; loading ~800 modules does that
  // until it is 2 x 16 MB, and an idle peer keeps it for ~15 s. 1 keeps it at its start size while loading.
  'semi-space-growth-factor': '2',
}

/** The flags TROUPE_V8_FLAGS asks for (default DEFAULT_V8_FLAGS), trimmed. */
export function v8FlagsFrom(env: NodeJS.ProcessEnv): string {
  return (env[V8_FLAGS_ENV] ?? DEFAULT_V8_FLAGS).trim()
}

/** `--no-foo_bar=1` -> `foo-bar` (V8 accepts `_` and `-` alike). */
function flagName(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/=.*$/, '').replaceAll('_', '-')
}

/**
 * The startup flags TROUPE_V8_STARTUP_FLAGS asks for (default DEFAULT_STARTUP_V8_FLAGS) and the flags that switch
 * them back off: each must be a boolean flag (`--foo` or `--no-foo`, no value), whose opposite can be set later, or
 * a flag of STARTUP_VALUE_FLAG_DEFAULTS (`--foo=value`), set back to V8's default later.
 * A flag TROUPE_V8_FLAGS also sets (with any value) is left to TROUPE_V8_FLAGS.
 */
export function startupV8FlagsFrom(env: NodeJS.ProcessEnv): { on: string, off: string } {
  return phaseFlagsFrom(env, STARTUP_V8_FLAGS_ENV, DEFAULT_STARTUP_V8_FLAGS)
}

/** The idle flags TROUPE_V8_IDLE_FLAGS asks for (default DEFAULT_IDLE_V8_FLAGS), with the same rules as the startup flags. */
export function idleV8FlagsFrom(env: NodeJS.ProcessEnv): { on: string, off: string } {
  return phaseFlagsFrom(env, IDLE_V8_FLAGS_ENV, DEFAULT_IDLE_V8_FLAGS)
}

function phaseFlagsFrom(env: NodeJS.ProcessEnv, name: string, fallback: string): { on: string, off: string } {
  const lasting = new Set(v8FlagsFrom(env).split(/\s+/).filter(f => f !== '').map(flagName))
  const on = (env[name] ?? fallback).trim().split(/\s+/).filter(f => f !== '')
  const off: string[] = []
  for (const flag of on) {
    const valued = /^--([a-z0-9][a-z0-9_-]*)=[^\s=]+$/.exec(flag)
    const reset = valued === null ? undefined : STARTUP_VALUE_FLAG_DEFAULTS[flagName(flag)]
    if (valued !== null && reset !== undefined) off.push(`--${flagName(flag)}=${reset}`)
    else if (/^--[a-z0-9][a-z0-9_-]*$/.test(flag)) off.push(flag.startsWith('--no-') ? `--${flag.slice(5)}` : `--no-${flag.slice(2)}`)
    else throw new UsageError(`${name}: ${JSON.stringify(flag)} is not a boolean V8 flag (--name or --no-name, without a value) nor one of ${Object.keys(STARTUP_VALUE_FLAG_DEFAULTS).map(n => `--${n}=<value>`).join(', ')}`)
  }
  const kept = on.map((flag, i) => ({ flag, off: off[i] ?? '' })).filter(({ flag }) => !lasting.has(flagName(flag)))
  return { on: kept.map(k => k.flag).join(' '), off: kept.map(k => k.off).join(' ') }
}

/** The switches-off of `off` whose flag `idle` does not name: a flag in both stays on until the peer gets busy. */
function notIn(off: string, idle: string): string {
  const names = new Set(idle.split(/\s+/).filter(f => f !== '').map(flagName))
  return off.split(/\s+/).filter(f => f !== '' && !names.has(flagName(f))).join(' ')
}

export interface AppliedV8Flags {
  /** TROUPE_V8_FLAGS, set for good. */
  lasting: string
  /** TROUPE_V8_STARTUP_FLAGS, set until endStartup. */
  startup: string
  /** TROUPE_V8_IDLE_FLAGS, set until endIdle. */
  idle: string
  /** Switches the startup flags back off (once the peer has started), except those the idle flags also set; a second call does nothing. */
  endStartup: () => void
  /** Switches the idle flags back off (once the started peer gets busy); a second call does nothing. */
  endIdle: () => void
  /** Sets the TROUPE_V8_FLAGS again, after something set one of them for a moment (startup-gc.ts). */
  restoreLasting: () => void
}

/** Sets the flags of TROUPE_V8_FLAGS, TROUPE_V8_STARTUP_FLAGS and TROUPE_V8_IDLE_FLAGS in this process. */
export function applyV8Flags(env: NodeJS.ProcessEnv = process.env): AppliedV8Flags {
  const lasting = v8FlagsFrom(env)
  const startup = startupV8FlagsFrom(env)
  const idle = idleV8FlagsFrom(env)
  if (lasting !== '') setFlagsFromString(lasting)
  if (startup.on !== '') setFlagsFromString(startup.on)
  if (idle.on !== '') setFlagsFromString(idle.on)
  // A lasting flag wins over a phase flag's opposite (e.g. TROUPE_V8_FLAGS=--no-opt, an alias of --no-turbofan).
  const restoreLasting = (): void => { if (lasting !== '') setFlagsFromString(lasting) }
  const end = (off: string): () => void => {
    let ended = off === ''
    return () => {
      if (ended) return
      ended = true
      setFlagsFromString(off)
      restoreLasting()
    }
  }
  return { lasting, startup: startup.on, idle: idle.on, endStartup: end(notIn(startup.off, idle.on)), endIdle: end(idle.off), restoreLasting }
}
