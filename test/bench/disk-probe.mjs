/* global process, console, performance, Buffer */
// What this machine charges in CPU for the task store's kind of disk writes, without lmdb: 4 KiB page writes
// (`pwrite`, one system call each, as LMDB writes the dirty pages of a commit that are not next to each other) into a
// file already in the page cache, at scattered or contiguous offsets, then one `fdatasync`. Prints, per pattern, the
// process's CPU for the writes and for the sync, and the wall time. A probe of the machine, for comparing VMs (on the
// PVM guest of sessions 27-29, at ~100 pages, a scattered page's write and sync cost 20-45 µs of CPU and a contiguous
// one's ~6-8 µs; a null system call ~1 µs; docs/performance.md, session 29). Not part of `npm run bench`. Synchronous and bounded in count (7
// patterns x REPS), so it needs no watchdog timer (none could fire while it runs).
//
//   node test/bench/disk-probe.mjs
//
// Env: FILE_MB (64), REPS (30 per pattern), DIR (default the OS's temporary directory; the file is removed at the end).
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const PAGE = 4096
const PAGES = Number(process.env.FILE_MB ?? 64) * 256
const REPS = Number(process.env.REPS ?? 30)
const dir = mkdtempSync(join(process.env.DIR ?? tmpdir(), 'troupe-disk-probe-'))
const fd = openSync(join(dir, 'probe.bin'), 'w+')
try {
  // The whole file written and synced first, so that every later write lands on an allocated block in the page cache.
  const run = Buffer.alloc(PAGE * 256, 2)
  for (let p = 0; p < PAGES; p += 256) writeSync(fd, run, 0, run.length, p * PAGE)
  fdatasyncSync(fd)
  const page = Buffer.alloc(PAGE, 1)
  for (const [pages, contiguous] of [[1, false], [16, false], [16, true], [128, false], [128, true], [1024, false], [1024, true]]) {
    let writeUs = 0; let syncUs = 0; let wallMs = 0
    for (let r = 0; r < REPS; r++) {
      const base = Math.floor(Math.random() * (PAGES - pages))
      const c0 = process.cpuUsage(); const t0 = performance.now()
      for (let i = 0; i < pages; i++) writeSync(fd, page, 0, PAGE, PAGE * (contiguous ? base + i : Math.floor(Math.random() * PAGES)))
      const c1 = process.cpuUsage(c0)
      fdatasyncSync(fd)
      const c2 = process.cpuUsage(c0)
      writeUs += c1.user + c1.system; syncUs += c2.user + c2.system - c1.user - c1.system; wallMs += performance.now() - t0
    }
    console.log(JSON.stringify({
      pages, offsets: contiguous ? 'contiguous' : 'scattered',
      writeCpuUsPerPage: +(writeUs / REPS / pages).toFixed(1), syncCpuUsPerPage: +(syncUs / REPS / pages).toFixed(1),
      syncCpuUs: Math.round(syncUs / REPS), wallMs: +(wallMs / REPS).toFixed(2),
    }))
  }
} finally {
  closeSync(fd)
  rmSync(dir, { recursive: true, force: true })
}
