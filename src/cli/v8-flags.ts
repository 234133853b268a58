// V8 flags for a peer started by `troupe start` (and so by `npm start` and
// `node dist/cli/main.js start`): set from inside the process, before the
// peer's modules load, so every way of starting it gets them without a shell
// feature (`env -S` in a shebang) or a second process (a re-exec would add a
// whole node process to the footprint). None by default: the memory-saving
// `--optimize-for-size` (idle RSS ~100 -> ~88 MB) doubles the CPU per task,
// so it is the operator's choice (docs/limits.md, "Memory").
import { setFlagsFromString } from 'node:v8'

/** Applied unless TROUPE_V8_FLAGS says otherwise. */
export const DEFAULT_V8_FLAGS = ''

export const V8_FLAGS_ENV = 'TROUPE_V8_FLAGS'

/** The flags TROUPE_V8_FLAGS asks for (default DEFAULT_V8_FLAGS), trimmed. */
export function v8FlagsFrom(env: NodeJS.ProcessEnv): string {
  return (env[V8_FLAGS_ENV] ?? DEFAULT_V8_FLAGS).trim()
}

/** Sets the flags of TROUPE_V8_FLAGS in this process; returns what it set. */
export function applyV8Flags(env: NodeJS.ProcessEnv = process.env): string {
  const flags = v8FlagsFrom(env)
  if (flags !== '') setFlagsFromString(flags)
  return flags
}
