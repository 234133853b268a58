import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./src/compat.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time. Vitest's default on 2 cores is one (cores - 1), and most files spend their time waiting
    // on real peers, sockets and timers: one at a time took 620-680 s, two 360-383 s, all passing (session 25).
    maxWorkers: 2,
    // Files share a worker's module cache (each file still cleans up its peers, stores and timers): on 2 cores
    // importing libp2p and the rest afresh for each of ~100 files cost ~1 s per file.
    isolate: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
