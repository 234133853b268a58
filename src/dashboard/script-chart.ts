// Browser code for the throughput charts: one small inline SVG bar chart per
// series, newest bucket on the right (it is still filling).

export const CHART_SCRIPT = `
function chart(title, points, key, bucketMs, color) {
  const W = 520, H = 120, top = 18, bottom = 18, n = Math.max(points.length, 30)
  const peak = Math.max(0, ...points.map(p => p[key])), max = Math.max(1, peak)
  const bw = W / n
  const svg = h('svg:svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img', 'aria-label': title })
  svg.append(h('svg:line', { x1: 0, x2: W, y1: H - bottom + 0.5, y2: H - bottom + 0.5, stroke: '#ccc' }))
  points.forEach((p, i) => {
    const v = p[key], hgt = (H - top - bottom) * v / max
    const x = W - (points.length - i) * bw
    const bar = h('svg:rect', { x: x + 1, y: H - bottom - hgt, width: Math.max(1, bw - 2), height: hgt, fill: color, opacity: i === points.length - 1 ? 0.5 : 1 })
    bar.append(h('svg:title', {}, v + ' in ' + (bucketMs / 1000) + ' s' + (i === points.length - 1 ? ' (so far)' : '')))
    svg.append(bar)
  })
  const total = points.reduce((s, p) => s + p[key], 0)
  svg.append(h('svg:text', { x: 0, y: 11 }, title + ' per ' + (bucketMs / 1000) + ' s \\u2014 peak ' + peak + ', total ' + total))
  svg.append(h('svg:text', { x: 0, y: H - 4 }, '-' + ago(n * bucketMs)))
  svg.append(h('svg:text', { x: W, y: H - 4, 'text-anchor': 'end' }, 'now'))
  return h('div', { class: 'chart', 'data-series': key }, svg)
}
function renderThroughput(t) {
  fill('charts', chart('tasks finished', t.points, 'tasks', t.bucketMs, '#059669'), chart('HTTP requests', t.points, 'requests', t.bucketMs, '#2563eb'))
}
`
