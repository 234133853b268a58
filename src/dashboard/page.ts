// `GET /`: one self-contained HTML page (inline CSS and JS, no CDN, no web
// font: peers may have no internet). The script is allowed by its hash, so
// the Content-Security-Policy admits no other script, inline or fetched.

import { createHash } from 'node:crypto'
import { SCRIPT } from './script.js'
import { STYLE } from './style.js'

const scriptHash = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  `script-src 'self' '${scriptHash}'`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Troupe dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><h1 id="app">Troupe</h1><span class="meta" id="meta">loading...</span><span id="conn">connecting...</span></header>
<main>
<section id="members-panel"><h2>Members <small id="members-sum"></small></h2><div id="members"></div></section>
<section id="leases-panel"><h2>Lease partitions <small id="leases-sum"></small></h2><div id="grid"></div><div class="legend" id="legend"></div></section>
<section id="tasks-panel" class="wide"><h2>Tasks</h2><div class="tiles" id="task-counts"></div><p id="note"></p>
<form id="auth" hidden><label>Admin token <input id="auth-token" type="password" autocomplete="off" spellcheck="false"></label> <button type="submit">Use it</button> <small>kept in this tab only</small></form>
<h3>Recent runs <small>(newest first)</small></h3><div id="recent"></div>
<h3>Failures</h3><div id="failures"></div></section>
<section id="actors-panel"><h2>Actors <small>on this peer</small></h2><div id="actors"></div></section>
<section id="throughput-panel"><h2>Throughput <small>on this peer</small></h2><div class="charts" id="charts"></div></section>
</main>
<footer>Machine-readable: <a href="dashboard/state">dashboard/state</a>, <a href="status">status</a>, <a href="metrics">metrics</a>, <a href="docs">docs</a>.
Retry and Cancel call <code>POST /tasks/:id/retry</code> and <code>/cancel</code>: admin routes, which take the peer's admin token when it has one (asked for once, kept in this tab's sessionStorage).</footer>
<script>${SCRIPT}</script>
</body>
</html>
`
