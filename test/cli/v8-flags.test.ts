import { describe, expect, it } from 'vitest'
import { applyV8Flags, DEFAULT_V8_FLAGS, V8_FLAGS_ENV } from '../../src/cli/v8-flags.js'

describe('V8 flags of troupe start', () => {
  it('applies the default unless TROUPE_V8_FLAGS says otherwise; empty applies none', () => {
    expect(applyV8Flags({})).toBe(DEFAULT_V8_FLAGS)
    expect(applyV8Flags({ [V8_FLAGS_ENV]: '' })).toBe('')
    expect(applyV8Flags({ [V8_FLAGS_ENV]: ' --optimize-for-size ' })).toBe('--optimize-for-size')
  })
})
