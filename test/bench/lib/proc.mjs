/* global process, console, setTimeout, clearTimeout */
// Child processes: fork with IPC, wait until ready, call commands by request
// id, stop by pid (SIGTERM, then SIGKILL). Every child we start is tracked so
// that the watchdog and exit paths can stop them all, and only them.
import { fork } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const children = new Set()

/** Tracks a child started elsewhere (e.g. spawn) so that the watchdog and signals stop it too. */
export function track (child) {
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/**
 * Forks `script`; resolves once it sends { type: 'ready' } with a handle:
 * { child, ready, call(cmd, args, timeoutMs), on(type, fn), stop() }.
 */
export function startChild (script, { env = {}, execArgv = [], timeoutMs = 60_000, stdio = 'inherit' } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', stdio, 'inherit', 'ipc'] })
    children.add(child)
    child.once('exit', () => children.delete(child))
    const pending = new Map()
    const listeners = new Map()
    let nextId = 1
    const handle = {
      child,
      pid: child.pid,
      ready: undefined,
      call (cmd, args = {}, callTimeoutMs = 120_000) {
        const reqId = nextId++
        return new Promise((res, rej) => {
          const t = setTimeout(() => { pending.delete(reqId); rej(new Error(`${script}: '${cmd}' got no reply in ${callTimeoutMs} ms`)) }, callTimeoutMs)
          pending.set(reqId, { res, rej, t })
          child.send({ cmd, reqId, ...args })
        })
      },
      on (type, fn) { listeners.set(type, fn) },
      stop: () => stopChild(child),
      kill: () => { try { process.kill(child.pid, 'SIGKILL') } catch { /* already gone */ } },
    }
    const t = setTimeout(() => { stopChild(child); reject(new Error(`${script}: not ready in ${timeoutMs} ms`)) }, timeoutMs)
    child.on('message', msg => {
      if (msg?.type === 'ready') { clearTimeout(t); handle.ready = msg; resolve(handle); return }
      if (msg?.type === 'reply') {
        const p = pending.get(msg.reqId)
        if (p === undefined) return
        pending.delete(msg.reqId); clearTimeout(p.t)
        if (msg.error) p.rej(new Error(msg.error)); else p.res(msg.value)
        return
      }
      listeners.get(msg?.type)?.(msg)
    })
    child.once('exit', code => {
      clearTimeout(t)
      for (const p of pending.values()) { clearTimeout(p.t); p.rej(new Error(`${script} exited (${code})`)) }
      pending.clear()
      reject(new Error(`${script} exited before ready (${code})`))
    })
  })
}

/** SIGTERM to the child's pid, SIGKILL after graceMs. */
export function stopChild (child, graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise(resolve => {
    const t = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL') } catch { /* gone */ } }, graceMs)
    child.once('exit', () => { clearTimeout(t); resolve() })
    try { process.kill(child.pid, 'SIGTERM') } catch { clearTimeout(t); resolve() }
  })
}

export async function stopAll () {
  await Promise.all([...children].map(c => stopChild(c)))
}

/** Ends this process after ms, stopping our children first (SIGKILL: the watchdog does not wait). */
export function watchdog (ms, label) {
  const t = setTimeout(() => {
    console.error(`[${label}] watchdog: over ${Math.round(ms / 1000)} s, stopping`)
    for (const c of children) { try { process.kill(c.pid, 'SIGKILL') } catch { /* gone */ } }
    process.exit(3)
  }, ms)
  t.unref()
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      for (const c of children) { try { process.kill(c.pid, 'SIGKILL') } catch { /* gone */ } }
      process.exit(130)
    })
  }
}

/**
 * The child side: answers commands from the parent. `commands` maps a
 * command name to an async function of the message.
 */
export function serve (commands) {
  process.on('message', async msg => {
    if (msg?.cmd === undefined) return
    const fn = commands[msg.cmd]
    try {
      if (fn === undefined) throw new Error(`unknown command ${msg.cmd}`)
      const value = await fn(msg)
      process.send({ type: 'reply', reqId: msg.reqId, value })
    } catch (err) {
      process.send({ type: 'reply', reqId: msg.reqId, error: String(err?.stack ?? err) })
    }
  })
  // The parent going away ends us too.
  process.on('disconnect', () => process.exit(0))
}

/** The fields of a /proc stat line after the command name: [7] minflt, [11] utime, [12] stime (100 Hz ticks). */
const statFields = line => line.split(') ')[1].split(' ')

/** CPU µs of a thread's /proc stat line (utime + stime). */
const statCpu = line => { const f = statFields(line); return (Number(f[11]) + Number(f[12])) * 10_000 }

/**
 * CPU µs so far of process `pid` (Linux /proc): of its main thread and of its other threads; also the whole process's
 * user and system (kernel) CPU µs, its minor page faults (`minflt`), and its threads' context switches: voluntary
 * (`vcsw`: a thread waited, for I/O or a lock) and not (`ivcsw`: preempted).
 */
export function processCpu (pid) {
  const out = { main: 0, other: 0, vcsw: 0, ivcsw: 0 }
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      out[Number(t) === pid ? 'main' : 'other'] += statCpu(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'))
      const status = readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8')
      out.vcsw += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
      out.ivcsw += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
    } catch { /* the thread ended */ }
  }
  try {
    const f = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))
    out.minflt = Number(f[7]); out.user = Number(f[11]) * 10_000; out.system = Number(f[12]) * 10_000
  } catch { /* gone */ }
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8')
    out.syscr = Number(/^syscr:\s+(\d+)/m.exec(io)?.[1] ?? 0); out.syscw = Number(/^syscw:\s+(\d+)/m.exec(io)?.[1] ?? 0)
  } catch { /* gone, or not readable */ }
  return out
}
