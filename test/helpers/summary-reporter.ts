// Ends a run with one plain line, `tests: N passed, N failed, N skipped`, that
// any CI log reader understands (vitest's own summary is decorated), preceded
// by the slowest test files, so a log shows where the time budget goes.

import type { Reporter, TestModule } from 'vitest/node'

const SLOWEST_SHOWN = 8

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failed++
        else skipped++
      }
      if (mod.state() === 'failed' && mod.children.size === 0) failed++
    }
    failed += unhandledErrors.length
    const slowest = testModules
      .map(mod => ({ name: mod.relativeModuleId, ms: mod.diagnostic().duration }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SLOWEST_SHOWN)
      .map(m => `${m.name} ${(m.ms / 1000).toFixed(0)} s`)
    process.stdout.write(`\nslowest files: ${slowest.join(', ')}\n`)
    process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
