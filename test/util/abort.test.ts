import { describe, expect, it } from 'vitest'
import { LazyAbortController, scopeController } from '../../src/util/abort.js'

describe('scopeController', () => {
  it('lets many concurrent operations listen without a MaxListenersExceededWarning', async () => {
    const warnings: string[] = []
    const onWarning = (w: Error): void => { warnings.push(w.name) }
    process.on('warning', onWarning)
    try {
      const scope = scopeController()
      const fired: number[] = []
      for (let i = 0; i < 50; i++) scope.signal.addEventListener('abort', () => fired.push(i), { once: true })
      scope.abort()
      await new Promise(resolve => setImmediate(resolve))
      expect(fired).toHaveLength(50)
      expect(warnings).not.toContain('MaxListenersExceededWarning')
    } finally {
      process.off('warning', onWarning)
    }
  })
})

describe('LazyAbortController', () => {
  it('shows an abort made before the signal was read, with its reason, and only the first one', () => {
    const c = new LazyAbortController()
    expect(c.aborted).toBe(false)
    c.abort(new Error('first'))
    c.abort(new Error('second'))
    expect(c.aborted).toBe(true)
    expect(c.signal.aborted).toBe(true)
    expect((c.signal.reason as Error).message).toBe('first')
  })

  it('fires the listeners of a signal read before the abort', () => {
    const c = new LazyAbortController()
    const heard: unknown[] = []
    c.signal.addEventListener('abort', () => heard.push(c.signal.reason))
    c.abort('stop')
    expect(heard).toEqual(['stop'])
    expect(c.reason).toBe('stop')
    const plain = new LazyAbortController()
    plain.abort()
    expect((plain.signal.reason as Error).name).toBe('AbortError')
  })
})
