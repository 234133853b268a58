import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/errors.js'
import { resolveInit, type TaskServiceInit } from '../../src/tasks/options.js'

describe('resolveInit', () => {
  it('commits in the auto mode unless told otherwise', () => {
    expect(resolveInit().storeCommit).toBe('auto')
    expect(resolveInit({ storeCommit: 'inline' }).storeCommit).toBe('inline')
    expect(resolveInit({ storeCommit: 'background' }).storeCommit).toBe('background')
  })

  it('refuses an unknown commit mode, and a number given as a string, with a ConfigError naming the field', () => {
    const bad = (init: unknown): (() => unknown) => () => resolveInit(init as TaskServiceInit)
    expect(bad({ storeCommit: 'fast' })).toThrow(ConfigError)
    expect(bad({ storeCommit: 'fast' })).toThrow(/storeCommit must be one of 'auto', 'inline', 'background', got "fast"/)
    expect(bad({ concurrency: '50' })).toThrow(/concurrency must be a positive number/)
    expect(bad({ replicas: -1 })).toThrow(/replicas must be a non-negative number/)
  })
})
