// V8 flags for a peer started by `troupe start` (and so by `npm start` and
// `node dist/cli/main.js start`): set from inside the process, before the
// peer's modules load, so every way of starting it gets them without a shell
// feature (`env -S` in a shebang) or a second process (a re-exec would add a
// whole node process to the footprint). `--optimize-for-size` keeps V8's young
// generation at about 1 MB instead of growing it to 32 MB: an idle peer's RSS
// drops from ~110 MB to ~88 MB (docs/limits.md, "Memory").
import { setFlagsFromString } from 'node:v8'

/** Applied unless TROUPE_V8_FLAGS says otherwise (`TROUPE_V8_FLAGS=` applies none). */
export const DEFAULT_V8_FLAGS = '--optimize-for-size'

export const V8_FLAGS_ENV = 'TROUPE_V8_FLAGS'

/** Sets the flags of TROUPE_V8_FLAGS (default DEFAULT_V8_FLAGS); returns what it set. */
export function applyV8Flags(env: NodeJS.ProcessEnv = process.env): string {
  const flags = (env[V8_FLAGS_ENV] ?? DEFAULT_V8_FLAGS).trim()
  if (flags !== '') setFlagsFromString(flags)
  return flags
}
