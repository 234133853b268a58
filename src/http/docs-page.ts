// `GET /docs`: one self-contained HTML page (no CDN, no external asset; the
// peers may have no internet) listing each action with its input schema, an
// editable example body and a Send button that POSTs it to /api/<name>.

import type { OpenApiDocument } from './openapi.js'

interface ActionView { name: string, summary: string, schema: unknown, example: unknown, get: boolean }

export function renderDocsPage(doc: OpenApiDocument): string {
  const actions = actionViews(doc)
  const title = `${doc.info.title} ${doc.info.version}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: API</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>
<p>${actions.length} action${actions.length === 1 ? '' : 's'}. Machine-readable: <a href="openapi.json">openapi.json</a>. Also: <a href="status">status</a>, <a href="health">health</a>.</p></header>
<main>
${actions.length === 0 ? '<p>This app defines no actions.</p>' : actions.map(section).join('\n')}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`
}

function section(a: ActionView): string {
  const methods = a.get ? 'GET, POST' : 'POST'
  const id = `a-${encodeURIComponent(a.name)}`
  return `<section class="action" data-action="${escapeHtml(a.name)}" id="${escapeHtml(id)}">
<h2><code>/api/${escapeHtml(a.name)}</code> <small>${methods}</small></h2>
${a.summary === a.name ? '' : `<p>${escapeHtml(a.summary)}</p>`}
<details><summary>input schema</summary><pre>${escapeHtml(JSON.stringify(a.schema, null, 2))}</pre></details>
<label>body <textarea rows="${Math.min(12, JSON.stringify(a.example, null, 2).split('\n').length + 1)}" spellcheck="false">${escapeHtml(JSON.stringify(a.example, null, 2))}</textarea></label>
<button type="button">Send</button> <span class="status"></span>
<pre class="out" hidden></pre>
</section>`
}

function actionViews(doc: OpenApiDocument): ActionView[] {
  const out: ActionView[] = []
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/') || item.post === undefined) continue
    const post = item.post as { summary?: string, requestBody?: { content?: Record<string, { schema?: { $ref?: string }, example?: unknown }> } }
    const media = post.requestBody?.content?.['application/json']
    const ref = media?.schema?.$ref
    const schema = ref === undefined ? (media?.schema ?? {}) : doc.components.schemas[ref.replace('#/components/schemas/', '')]
    const name = path.slice('/api/'.length)
    out.push({ name, summary: post.summary ?? name, schema, example: media?.example ?? {}, get: item.get !== undefined })
  }
  return out
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1b1b1b; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.05rem; margin: 0 0 .5rem; } small { color: #666; font-weight: normal; }
section.action { border: 1px solid #ddd; border-radius: 6px; padding: .75rem 1rem; margin: 1rem 0; }
pre, textarea { font: 13px/1.4 ui-monospace, monospace; background: #f6f8fa; border: 1px solid #ddd; border-radius: 4px; padding: .5rem; overflow: auto; }
textarea { display: block; width: 100%; box-sizing: border-box; margin: .25rem 0 .5rem; }
label { display: block; color: #444; } .status { margin-left: .5rem; } .ok { color: #116329; } .fail { color: #b42318; }
button { font: inherit; padding: .25rem 1rem; cursor: pointer; }
`

// Plain browser JS, no build step: each Send button POSTs its textarea to the action.
const SCRIPT = `
for (const section of document.querySelectorAll('section.action')) {
  const name = section.dataset.action
  const button = section.querySelector('button')
  const status = section.querySelector('.status')
  const out = section.querySelector('.out')
  button.addEventListener('click', async () => {
    const body = section.querySelector('textarea').value
    button.disabled = true
    status.className = 'status'
    status.textContent = 'sending...'
    const started = performance.now()
    try {
      const res = await fetch('api/' + encodeURIComponent(name), { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      const text = await res.text()
      let shown = text
      try { shown = JSON.stringify(JSON.parse(text), null, 2) } catch { /* not JSON: show as is */ }
      status.className = 'status ' + (res.ok ? 'ok' : 'fail')
      status.textContent = res.status + ' ' + res.statusText + ' in ' + Math.round(performance.now() - started) + ' ms'
      out.textContent = shown
    } catch (err) {
      status.className = 'status fail'
      status.textContent = 'request failed'
      out.textContent = String(err)
    } finally {
      out.hidden = false
      button.disabled = false
    }
  })
}
`
