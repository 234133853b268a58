// Browser helpers for the dashboard (plain JS, no build step). Every value
// from the cluster goes into the page as text or an attribute, never as HTML.

export const DOM_SCRIPT = `
const $ = id => document.getElementById(id)
const SVG = 'http://www.w3.org/2000/svg'
function h(tag, attrs, ...kids) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v))
  for (const kid of kids.flat()) if (kid !== undefined && kid !== null && kid !== false) el.append(kid instanceof Node ? kid : String(kid))
  return el
}
function fill(id, ...kids) { $(id).replaceChildren(...kids.flat()) }
const short = id => id.length > 12 ? '\\u2026' + id.slice(-8) : id
function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return s + ' s'
  if (s < 5400) return Math.round(s / 60) + ' min'
  return (s / 3600).toFixed(1) + ' h'
}
const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#92400e']
let colors = new Map()
function assignColors(ids) {
  const next = new Map()
  const sorted = [...new Set(ids)].sort()
  sorted.forEach((id, i) => next.set(id, i < PALETTE.length ? PALETTE[i] : 'hsl(' + ((i * 137) % 360) + ' 60% 45%)'))
  colors = next
}
const colorOf = id => colors.get(id) || '#999'
const swatch = id => { const s = h('i', { class: 'sw' }); s.style.background = colorOf(id); return s }
const peerCell = id => h('span', { class: 'id', title: id }, swatch(id), short(id))
const badge = state => h('span', { class: 'badge s-' + state }, state)
const safeUrl = u => typeof u === 'string' && /^https?:\\/\\//.test(u) ? u : null
function table(headers, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty)
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map(([t, c]) => h('th', { class: c }, t)))), h('tbody', {}, rows))
}
`
