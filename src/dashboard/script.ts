// The dashboard's browser code: polls `dashboard/state` every second and
// redraws; the Retry and Cancel buttons POST to the task routes (admin routes:
// they send the admin token, asked for on the first 401).

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
// Retry and Cancel are admin routes: the admin token, once given, is kept in
// this tab's sessionStorage and sent as a bearer token; a 401 asks for it.
const TOKEN_KEY = 'troupe-admin-token'
let pending = null
async function runAct(id, act) {
  const note = $('note')
  try {
    const token = sessionStorage.getItem(TOKEN_KEY)
    const res = await fetch('tasks/' + encodeURIComponent(id) + '/' + act, { method: 'POST', headers: token ? { authorization: 'Bearer ' + token } : {} })
    const body = await res.json().catch(() => ({}))
    const why = (body.error && body.error.message) || res.status
    if (res.status === 401) {
      pending = { id, act }
      note.className = 'bad'
      note.textContent = act + ' ' + id + ' refused: ' + why + (token ? ' (the token given was refused)' : '')
      $('auth').hidden = false
      $('auth-token').focus()
      return
    }
    note.className = res.ok ? '' : 'bad'
    note.textContent = res.ok ? act + ' ' + id + ': now ' + body.state : act + ' ' + id + ' refused: ' + why
  } catch (err) {
    note.className = 'bad'
    note.textContent = act + ' ' + id + ' failed: ' + err.message
  }
}
document.addEventListener('click', ev => {
  const b = ev.target.closest('button[data-act]')
  if (b === null) return
  b.disabled = true
  runAct(b.dataset.task, b.dataset.act)
})
$('auth').addEventListener('submit', ev => {
  ev.preventDefault()
  const token = $('auth-token').value.trim()
  if (token === '') return
  sessionStorage.setItem(TOKEN_KEY, token)
  $('auth-token').value = ''
  $('auth').hidden = true
  const p = pending
  pending = null
  if (p !== null) runAct(p.id, p.act)
})
poll()
`

export const SCRIPT = `'use strict'\n${DOM_SCRIPT}${RENDER_SCRIPT}${CHART_SCRIPT}${MAIN_SCRIPT}`
