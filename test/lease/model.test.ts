// The SPIN model of the lease rules (test/lease/model), searched exhaustively
// at the small bounds of `check.sh --quick`: the protocol as specified shows
// no violation in a complete search, every coverage goal is reachable, every
// mutant is caught, and the two findings about the code still show theirs.
// `npm run model` runs the same table with larger bounds for the protocol.
// Needs the Debian packages spin and gcc; .ci/run installs them.

import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const CHECK = fileURLToPath(new URL('./model/check.sh', import.meta.url))
const RUN_TIMEOUT_MS = 240_000

function missing(tool: string, args: string[]): boolean {
  const r = spawnSync(tool, args, { encoding: 'utf8' })
  return r.error !== undefined
}

function row(out: string, name: string): string {
  const line = out.split('\n').find((l) => l.startsWith(`${name} `))
  if (line === undefined) throw new Error(`check.sh printed no row for ${name}:\n${out}`)
  return line
}

describe('SPIN model of the lease rules', () => {
  it('passes for the specified protocol, reaches every goal and catches every mutant', () => {
    if (missing('spin', ['-V'])) throw new Error('spin not installed: apt-get install spin (the SPIN model checker, needed by test/lease/model)')
    if (missing('gcc', ['--version'])) throw new Error('gcc not installed: apt-get install gcc (SPIN compiles its verifier with it)')

    const r = spawnSync('bash', [CHECK, '--quick'], { encoding: 'utf8', timeout: RUN_TIMEOUT_MS })
    const out = `${r.stdout}${r.stderr}`
    expect(r.error, out).toBeUndefined()
    expect(r.status, out).toBe(0)
    expect(out).toContain('model check: OK')

    expect(row(out, 'spec')).toContain('ok: complete, no violation')
    for (const goal of ['takeover after acceptor crash', 'release clears a grant', 'renewal extends a tenure', 'holds again after own crash']) {
      expect(row(out, goal)).toContain('ok: reached')
    }
    for (const mutant of ['NO_DRIFT_MARGIN', 'HALF_DRIFT_MARGIN', 'VIEW_QUORUM', 'NO_RESTART_WAIT', 'TIMER_ON_ACK']) {
      expect(row(out, mutant)).toContain('ok: caught, I1')
    }
    expect(row(out, 'NO_FLOOR_PERSIST')).toContain('ok: caught, I2')
    expect(row(out, 'OLD_LIFE_MESSAGES')).toContain('ok: caught, I1')
    expect(row(out, 'SHARED_SEQ')).toContain('ok: caught, I2')
  }, RUN_TIMEOUT_MS + 10_000)
})
