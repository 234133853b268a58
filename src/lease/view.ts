// The membership hint as the node keeps it (since when each peer looks
// alive or dead, on our own clock), and when the node next needs a tick.

import type { NodeState } from './state.js'

export function updateView(s: NodeState, alive: readonly string[], leaving: readonly string[], now: number): void {
  const v = s.view
  const next = new Set(alive.filter((p) => p !== s.id))
  let changed = false
  for (const p of next) {
    if (!v.aliveSince.has(p)) {
      v.aliveSince.set(p, now)
      v.deadSince.delete(p)
      changed = true
    }
  }
  for (const p of [...v.aliveSince.keys()]) {
    if (!next.has(p)) {
      v.aliveSince.delete(p)
      v.deadSince.set(p, now)
      changed = true
    }
  }
  for (const p of s.config.voters) if (p !== s.id && !next.has(p) && !v.deadSince.has(p)) v.deadSince.set(p, now)
  const nextLeaving = new Set(leaving)
  if (nextLeaving.size !== v.leaving.size || [...nextLeaving].some((p) => !v.leaving.has(p))) {
    changed = true
    v.leavingChangedAt = now
  }
  v.leaving = nextLeaving
  if (changed) v.changedAt = now
}

/** The earliest local time anything is due, capped at now + tickMaxMs. */
export function nextWake(s: NodeState, now: number): number {
  let at = now + s.params.tickMaxMs
  const soon = (t: number): void => {
    if (t > now && t < at) at = t
  }
  // Indexed: every tick walks every slot, and an idle peer runs this unoptimized (TROUPE_V8_IDLE_FLAGS), where for-of
  // allocates an iterator result per step.
  const slots = s.slots
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!
    if (slot.phase === 'holding') {
      soon(slot.validUntil)
      if (!slot.lapsing) soon(slot.renewAt)
    } else if (slot.phase === 'idle') soon(slot.retryAt)
    else soon(slot.deadline)
  }
  soon(s.readyAt)
  return Math.max(at, now + 1)
}
