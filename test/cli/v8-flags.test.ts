import { describe, expect, it } from 'vitest'
import { DEFAULT_V8_FLAGS, V8_FLAGS_ENV, v8FlagsFrom } from '../../src/cli/v8-flags.js'

// Only the choice is tested here: setting flags would change this test worker's V8.
describe('V8 flags of troupe start', () => {
  it('takes TROUPE_V8_FLAGS, trimmed, else the default (none)', () => {
    expect(DEFAULT_V8_FLAGS).toBe('')
    expect(v8FlagsFrom({})).toBe('')
    expect(v8FlagsFrom({ [V8_FLAGS_ENV]: '' })).toBe('')
    expect(v8FlagsFrom({ [V8_FLAGS_ENV]: ' --optimize-for-size ' })).toBe('--optimize-for-size')
  })
})
