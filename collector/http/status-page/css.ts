// The status page's whole style sheet, inlined into every page (no files to serve, no build).
// Tables turn into one card per row on narrow screens: each cell shows its column name from
// data-label. Light and dark follow the system setting.
export const CSS = `
:root { --fg: #1d2329; --muted: #66707a; --bg: #f6f7f9; --card: #fff; --line: #dfe3e8; --link: #0b5cad;
  --ok: #1a7f37; --ok-bg: #dcf5e3; --warn: #8a5a00; --warn-bg: #fff1cc; --bad: #b42318; --bad-bg: #fde2e0; --mut-bg: #eceff2;
  color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ec; --muted: #9aa4ae; --bg: #15181b; --card: #1e2226; --line: #30363d; --link: #6cb6ff;
    --ok: #56d364; --ok-bg: #12361d; --warn: #e3b341; --warn-bg: #3a2e0b; --bad: #ff7b72; --bad-bg: #4a1714; --mut-bg: #2a2f35; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; padding: .8rem 1rem; background: var(--card); border-bottom: 1px solid var(--line); }
header.top h1 { font-size: 1.2rem; margin: 0; }
header.top h1 a { color: inherit; text-decoration: none; }
header.top .meta { color: var(--muted); font-size: .85rem; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 .5rem; }
h3 { font-size: .98rem; margin: 1.2rem 0 .4rem; }
a { color: var(--link); }
.summary { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 .5rem; padding: 0; list-style: none; }
.summary li { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .35rem .7rem; }
.summary b { font-size: 1.1rem; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
th, td { text-align: left; vertical-align: top; padding: .45rem .6rem; border-bottom: 1px solid var(--line); }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
td.num { font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; overflow-wrap: anywhere; }
pre { background: var(--mut-bg); padding: .5rem; border-radius: 4px; white-space: pre-wrap; max-height: 16rem; overflow: auto; margin: .3rem 0 0; }
.cmd { display: block; background: var(--mut-bg); padding: .4rem .6rem; border-radius: 4px; margin: .3rem 0; }
.abs { display: block; color: var(--muted); font-size: .78rem; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .8rem; font-weight: 600; white-space: nowrap; margin: 0 .2rem .15rem 0; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.warn { color: var(--warn); background: var(--warn-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.muted { color: var(--muted); background: var(--mut-bg); }
ul.plain { list-style: none; margin: 0; padding: 0; }
ul.plain li { margin: 0 0 .2rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .7rem 1rem; margin: 0 0 .8rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.empty { color: var(--muted); background: var(--card); border: 1px dashed var(--line); border-radius: 6px; padding: .7rem 1rem; }
p.note { color: var(--muted); margin: .3rem 0 .6rem; }
p.note .abs { display: inline; }
details { margin: .3rem 0; }
form.token { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: 1rem; }
form.token input { flex: 1 1 16rem; padding: .5rem; font: inherit; }
@media (max-width: 720px) {
  main { padding: .6rem; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards { border: 0; background: none; }
  table.cards thead { display: none; }
  table.cards tr { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 0 0 .7rem; padding: .3rem 0; }
  table.cards td { border: 0; padding: .25rem .8rem .25rem 8.6rem; position: relative; min-height: 1.6rem; overflow-wrap: anywhere; }
  table.cards td::before { content: attr(data-label); position: absolute; left: .8rem; width: 7.4rem; color: var(--muted); font-size: .78rem; text-transform: uppercase; letter-spacing: .03em; padding-top: .15rem; }
  table.cards td.title { font-size: 1.05rem; font-weight: 600; padding-left: .8rem; }
  table.cards td.title::before { content: none; }
  dl.facts { grid-template-columns: 1fr; gap: 0 0; }
  dl.facts dd { margin-bottom: .4rem; }
}
`;
