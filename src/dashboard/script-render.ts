// Browser code that draws each panel from one `/dashboard/state` answer.

export const RENDER_SCRIPT = `
function renderHeader(s) {
  document.title = s.self.app + ' \\u2014 ' + short(s.self.id) + ' \\u2014 Troupe'
  $('app').textContent = s.self.app
  $('meta').textContent = 'peer ' + short(s.self.id) + ' \\u00b7 incarnation ' + s.self.incarnation + ' \\u00b7 v' + s.self.version + ' \\u00b7 up ' + ago(s.self.uptimeMs)
  $('meta').title = s.self.id
}
function renderMembers(s) {
  const counts = {}
  for (const m of s.members) counts[m.state] = (counts[m.state] || 0) + 1
  $('members-sum').textContent = Object.entries(counts).map(([k, v]) => v + ' ' + k).join(', ')
  fill('members', table([['peer'], ['state'], ['incarnation', 'num'], ['voter'], ['partitions', 'num'], ['for', 'num'], ['http']], s.members.map(m => {
    const url = safeUrl(m.httpUrl)
    return h('tr', { 'data-id': m.id, 'data-state': m.state },
      h('td', {}, peerCell(m.id), m.self ? h('small', {}, ' (this peer)') : null),
      h('td', { class: 'state' }, badge(m.state)),
      h('td', { class: 'num' }, m.incarnation),
      h('td', {}, m.voter ? 'voter' : ''),
      h('td', { class: 'num' }, m.held === null ? (m.state === 'alive' || m.state === 'suspect' ? '?' : '') : m.held),
      h('td', { class: 'num' }, ago(m.stateForMs)),
      h('td', {}, url === null ? '' : h('a', { href: url + '/', title: 'this member\\'s dashboard' }, url.replace(/^https?:\\/\\//, ''))))
  }), 'no members'))
}
function renderLeases(s) {
  const l = s.leases
  const per = new Map()
  let none = 0
  const cells = l.holders.map((holder, p) => {
    const cell = h('i', { 'data-holder': holder || '', title: 'partition ' + p + ': ' + (holder === null ? 'no holder known' : holder) })
    if (holder === null) none++
    else { per.set(holder, (per.get(holder) || 0) + 1); cell.style.background = colorOf(holder) }
    return cell
  })
  $('leases-sum').textContent = l.partitions + ' partitions \\u00b7 voter set #' + l.cfg + ': ' + l.voters.map(short).join(', ')
  fill('grid', cells)
  fill('legend', [...per].sort((a, b) => b[1] - a[1]).map(([id, n]) => h('span', {}, peerCell(id), ' ' + n)), h('span', {}, 'no holder known: ' + none))
}
function taskRows(rows) {
  return rows.map(t => h('tr', { 'data-id': t.id, 'data-state': t.state },
    h('td', {}, h('code', { title: t.id }, t.id.length > 14 ? t.id.slice(0, 14) + '\\u2026' : t.id)),
    h('td', {}, t.name, t.scope === 'all' ? h('small', {}, ' (all)') : null),
    h('td', { class: 'state' }, badge(t.state)),
    h('td', { class: 'num' }, t.attempts),
    h('td', {}, t.peer === null ? '' : peerCell(t.peer)),
    h('td', { class: 'num' }, ago(Date.now() - t.updatedAt)),
    h('td', {}, t.state === 'pending' || t.state === 'running' ? h('button', { 'data-act': 'cancel', 'data-task': t.id }, 'Cancel') : null,
      t.state === 'failed' || t.state === 'cancelled' ? h('button', { 'data-act': 'retry', 'data-task': t.id }, 'Retry') : null),
    h('td', { class: 'err' }, t.state === 'failed' && t.error !== null ? t.error : '')))
}
const TASK_HEADERS = [['id'], ['task'], ['state'], ['attempts', 'num'], ['last peer'], ['updated', 'num'], [''], ['error']]
function renderTasks(s) {
  const c = s.tasks.counts
  fill('task-counts', ['pending', 'running', 'done', 'failed', 'cancelled'].map(st => h('div', { class: 'tile', 'data-state': st }, h('b', {}, c[st]), h('span', {}, st))))
  fill('recent', table(TASK_HEADERS, taskRows(s.tasks.recent), 'no tasks yet'))
  fill('failures', table(TASK_HEADERS, taskRows(s.tasks.failures), 'no failed tasks'))
}
function renderActors(s) {
  fill('actors', table([['type'], ['active here', 'num'], ['mailbox depth', 'num'], ['messages', 'num']], s.actors.map(a =>
    h('tr', { 'data-type': a.type }, h('td', {}, h('code', {}, a.type)), h('td', { class: 'num' }, a.activations), h('td', { class: 'num' }, a.mailboxDepth), h('td', { class: 'num' }, a.messages))), 'this app defines no actors'))
}
`
