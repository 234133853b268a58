// The dashboard's CSS, inlined into the page (no external asset).

export const STYLE = `
:root { --fg: #1b1b1b; --muted: #667; --line: #e3e3e8; --bg: #fafafb; --ok: #116329; --warn: #9a6700; --bad: #b42318; --off: #8c8c99; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .25rem 1rem; padding: .75rem 1.25rem; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.2rem; margin: 0; } header .meta { color: var(--muted); } #conn { margin-left: auto; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 1rem; padding: 1rem 1.25rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; min-width: 0; overflow-x: auto; }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 1rem; margin: 0 0 .5rem; } h2 small, h3 small { color: var(--muted); font-weight: normal; }
h3 { font-size: .9rem; margin: .75rem 0 .25rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .2rem .5rem .2rem 0; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: .8rem; } td.num, th.num { text-align: right; }
td.err { white-space: normal; color: var(--bad); font-size: .85rem; max-width: 24rem; overflow-wrap: anywhere; }
code, .id { font: 12.5px ui-monospace, monospace; }
.sw { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; vertical-align: -1px; margin-right: .35rem; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; font-weight: 600; color: #fff; }
.s-alive, .s-done { background: var(--ok); } .s-suspect, .s-running { background: var(--warn); } .s-dead, .s-failed { background: var(--bad); }
.s-left, .s-cancelled { background: var(--off); } .s-pending { background: #3b5bdb; }
.tiles { display: flex; flex-wrap: wrap; gap: .5rem; } .tile { border: 1px solid var(--line); border-radius: 6px; padding: .3rem .7rem; min-width: 6rem; }
.tile b { display: block; font-size: 1.3rem; } .tile span { color: var(--muted); font-size: .8rem; }
#grid { display: grid; grid-template-columns: repeat(auto-fill, 14px); gap: 2px; margin: .5rem 0; }
#grid i { display: block; width: 14px; height: 14px; background: #e6e6ea; border-radius: 2px; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; color: var(--muted); }
button { font: inherit; font-size: .8rem; padding: .05rem .6rem; cursor: pointer; border: 1px solid #bbb; border-radius: 4px; background: #fff; }
button:hover { background: #f0f0f3; } button:disabled { opacity: .5; cursor: default; }
#note { color: var(--muted); min-height: 1.2em; } #note.bad, #conn.bad { color: var(--bad); } #conn.ok { color: var(--ok); }
#auth { margin: .25rem 0 .5rem; } #auth input { font: inherit; width: 18rem; padding: .05rem .3rem; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1rem; }
.empty { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: .8rem; padding: 0 1.25rem 1rem; }
`
