import { describe, expect, it } from 'vitest'
import { DEFAULT_IDLE_V8_FLAGS, DEFAULT_STARTUP_V8_FLAGS, DEFAULT_V8_FLAGS, IDLE_V8_FLAGS_ENV, STARTUP_V8_FLAGS_ENV, STARTUP_VALUE_FLAG_DEFAULTS, V8_FLAGS_ENV, idleV8FlagsFrom, startupV8FlagsFrom, v8FlagsFrom } from '../../src/cli/v8-flags.js'
import { UsageError } from '../../src/cli/usage.js'

// Only the choice is tested here: setting flags would change this test worker's V8.
describe('V8 flags of troupe start', () => {
  it('takes TROUPE_V8_FLAGS, trimmed, else the default (none)', () => {
    expect(DEFAULT_V8_FLAGS).toBe('')
    expect(v8FlagsFrom({})).toBe('')
    expect(v8FlagsFrom({ [V8_FLAGS_ENV]: '' })).toBe('')
    expect(v8FlagsFrom({ [V8_FLAGS_ENV]: ' --optimize-for-size ' })).toBe('--optimize-for-size')
  })

  it('sets --no-turbofan and a young generation that does not grow while the peer starts, and V8\'s defaults after, unless TROUPE_V8_STARTUP_FLAGS says otherwise', () => {
    expect(DEFAULT_STARTUP_V8_FLAGS).toBe('--no-turbofan --semi-space-growth-factor=1')
    expect(startupV8FlagsFrom({})).toEqual({ on: '--no-turbofan --semi-space-growth-factor=1', off: '--turbofan --semi-space-growth-factor=2' })
    expect(startupV8FlagsFrom({ [STARTUP_V8_FLAGS_ENV]: '' })).toEqual({ on: '', off: '' })
    expect(startupV8FlagsFrom({ [STARTUP_V8_FLAGS_ENV]: ' --optimize-for-size  --no-lazy ' })).toEqual({ on: '--optimize-for-size --no-lazy', off: '--no-optimize-for-size --lazy' })
  })

  it('keeps a startup flag that TROUPE_V8_FLAGS also sets on for good', () => {
    expect(startupV8FlagsFrom({ [V8_FLAGS_ENV]: '--optimize-for-size', [STARTUP_V8_FLAGS_ENV]: '--optimize-for-size --no-turbofan' })).toEqual({ on: '--no-turbofan', off: '--turbofan' })
  })

  it('leaves a startup flag with a value to TROUPE_V8_FLAGS when that sets it too', () => {
    expect(startupV8FlagsFrom({ [V8_FLAGS_ENV]: '--semi_space_growth_factor=4' })).toEqual({ on: '--no-turbofan', off: '--turbofan' })
  })

  it('sets a listed flag with a value back to V8\'s default', () => {
    expect(STARTUP_VALUE_FLAG_DEFAULTS['semi-space-growth-factor']).toBe('2')
    expect(startupV8FlagsFrom({ [STARTUP_V8_FLAGS_ENV]: '--semi_space_growth_factor=3' })).toEqual({ on: '--semi_space_growth_factor=3', off: '--semi-space-growth-factor=2' })
  })

  it('keeps TurboFan off until the started peer gets busy, unless TROUPE_V8_IDLE_FLAGS says otherwise, with the rules of the startup flags', () => {
    expect(DEFAULT_IDLE_V8_FLAGS).toBe('--no-turbofan')
    expect(IDLE_V8_FLAGS_ENV).toBe('TROUPE_V8_IDLE_FLAGS')
    expect(idleV8FlagsFrom({})).toEqual({ on: '--no-turbofan', off: '--turbofan' })
    expect(idleV8FlagsFrom({ [IDLE_V8_FLAGS_ENV]: ' ' })).toEqual({ on: '', off: '' })
    expect(idleV8FlagsFrom({ [IDLE_V8_FLAGS_ENV]: '--no-sparkplug --semi-space-growth-factor=1' })).toEqual({ on: '--no-sparkplug --semi-space-growth-factor=1', off: '--sparkplug --semi-space-growth-factor=2' })
    expect(idleV8FlagsFrom({ [V8_FLAGS_ENV]: '--no-opt --turbofan' })).toEqual({ on: '', off: '' })
    expect(() => idleV8FlagsFrom({ [IDLE_V8_FLAGS_ENV]: '--max-semi-space-size=1' })).toThrow(/TROUPE_V8_IDLE_FLAGS/)
  })

  it('refuses a startup flag with a value it does not know the default of: it could not be set back', () => {
    expect(() => startupV8FlagsFrom({ [STARTUP_V8_FLAGS_ENV]: '--max-semi-space-size=1' })).toThrow(UsageError)
    expect(() => startupV8FlagsFrom({ [STARTUP_V8_FLAGS_ENV]: '--semi-space-growth-factor=' })).toThrow(UsageError)
    expect(() => startupV8FlagsFrom({ [STARTUP_V8_FLAGS_ENV]: 'optimize-for-size' })).toThrow(/not a boolean V8 flag/)
  })
})
