// The dashboard's browser code: polls `dashboard/state` every second and
// redraws; the Retry and Cancel buttons POST to the existing task routes.

import { CHART_SCRIPT } from './script-chart.js'
import { DOM_SCRIPT } from './script-dom.js'
import { RENDER_SCRIPT } from './script-render.js'

export const POLL_MS = 1_000

const MAIN_SCRIPT = `
let last = null
function render(s) {
  last = s
  assignColors(s.members.map(m => m.id).concat(s.leases.holders.filter(x => x !== null)))
  renderHeader(s); renderMembers(s); renderLeases(s); renderTasks(s); renderActors(s); renderThroughput(s.throughput)
}
function conn(ok, text) {
  $('conn').className = ok ? 'ok' : 'bad'
  $('conn').textContent = text
}
async function poll() {
  try {
    const res = await fetch('dashboard/state', { cache: 'no-store' })
    if (!res.ok) throw new Error('answered ' + res.status)
    render(await res.json())
    conn(true, 'live \\u00b7 ' + new Date().toLocaleTimeString())
  } catch (err) {
    conn(false, 'cannot reach this peer (' + err.message + ')' + (last === null ? '' : '; showing ' + new Date(last.at).toLocaleTimeString()))
  } finally {
    setTimeout(poll, ${POLL_MS})
  }
}
document.addEventListener('click', async ev => {
  const b = ev.target.closest('button[data-act]')
  if (b === null) return
  const id = b.dataset.task, act = b.dataset.act
  b.disabled = true
  const note = $('note')
  try {
    const res = await fetch('tasks/' + encodeURIComponent(id) + '/' + act, { method: 'POST' })
    const body = await res.json().catch(() => ({}))
    note.className = res.ok ? '' : 'bad'
    note.textContent = res.ok ? act + ' ' + id + ': now ' + body.state : act + ' ' + id + ' refused: ' + ((body.error && body.error.message) || res.status)
  } catch (err) {
    note.className = 'bad'
    note.textContent = act + ' ' + id + ' failed: ' + err.message
  }
})
poll()
`

export const SCRIPT = `'use strict'\n${DOM_SCRIPT}${RENDER_SCRIPT}${CHART_SCRIPT}${MAIN_SCRIPT}`
