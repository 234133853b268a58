import { describe, expect, it } from 'vitest'
import { scopeController } from '../../src/util/abort.js'

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
