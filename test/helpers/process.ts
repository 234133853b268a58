// Troupe peers as real processes, started through the CLI (dist/cli/main.js,
// built by `npm test` before the tests run).

import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

export interface PeerProcess {
  proc: ChildProcess
  output(): string
  /** Resolves with the first match in stdout+stderr, or rejects when the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  kill(signal?: NodeJS.Signals): void
}

export function runCli(args: string[], env: Record<string, string> = {}): PeerProcess {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const listeners = new Set<() => void>()
  const onData = (chunk: Buffer): void => {
    out += chunk.toString()
    for (const l of listeners) l()
  }
  proc.stdout?.on('data', onData)
  proc.stderr?.on('data', onData)
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    proc.on('exit', (code, signal) => {
      for (const l of listeners) l()
      resolve({ code, signal })
    })
  })
  return {
    proc,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => { if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal) },
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(pattern)
          if (m !== null) {
            done()
            resolve(m)
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            done()
            reject(new Error(`process exited (${proc.exitCode ?? proc.signalCode}) before printing ${pattern}; output:\n${out}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`))
        }, timeoutMs)
        const done = (): void => {
          clearTimeout(timer)
          listeners.delete(check)
        }
        listeners.add(check)
        check()
      })
    },
  }
}
