// Test files share a worker process (vitest `isolate: false`), so a file that
// sets environment variables for the apps it loads must put them back.

/** Sets `vars` in process.env; the returned function restores what was there before. */
export function setEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map(k => [k, process.env[k]]))
  Object.assign(process.env, vars)
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}
