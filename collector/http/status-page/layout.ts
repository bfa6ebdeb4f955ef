// The document around every status page: head (viewport, auto-refresh, inline CSS), the top bar
// with the generation time, and the body. Refresh is a <meta http-equiv="refresh">: no script.
import { CSS } from "./css.js";
import { html, raw, type Html, type TimeFormat, absoluteTime } from "./format.js";

export interface LayoutInput {
  title: string;
  body: Html;
  /** Seconds between reloads, or null for none (error pages). */
  refreshS: number | null;
  time: TimeFormat;
  version: string;
}

export function layout(p: LayoutInput): string {
  const refresh = p.refreshS === null ? "" : html`<meta http-equiv="refresh" content="${p.refreshS}">`;
  return `<!doctype html>\n${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${refresh}
<title>${p.title}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header class="top">
<h1><a href="/">lastseen</a></h1>
<span class="meta">generated ${absoluteTime(p.time.now, p.time.timeZone)}${p.refreshS === null ? "" : ` · refreshes every ${p.refreshS} s`} · collector ${p.version}</span>
</header>
<main>
${p.body}
</main>
</body>
</html>`.text}\n`;
}

/** Access refused: what to do, and a form that sets the token cookie (GET ?token=, then a redirect strips it). */
export function loginPage(reason: string, time: TimeFormat, version: string, reloadOnce: boolean): string {
  const body = html`<h2>A token is needed</h2>
<p>${reason}.</p>
<p>Use a read-only token (<code>lastseen token add status --role read</code> on the collector) or the admin token:
send it as <code>Authorization: Bearer TOKEN</code>, or enter it here once; this browser then keeps it in an
HttpOnly cookie.</p>
<form class="token" method="get" action="">
<input type="password" name="token" autocomplete="current-password" placeholder="lsr_…" aria-label="token" required>
<button type="submit">Open</button>
</form>`;
  const page = layout({ title: "lastseen: token needed", body, refreshS: null, time, version });
  // A link from another site does not carry the SameSite=Strict cookie; one same-site reload does.
  return reloadOnce ? page.replace("<head>\n", '<head>\n<meta http-equiv="refresh" content="0">\n') : page;
}

export function errorPage(status: number, message: string, time: TimeFormat, version: string): string {
  return layout({ title: `lastseen: ${status}`, body: html`<h2>${status}</h2><p>${message}</p><p><a href="/">All hosts</a></p>`, refreshS: null, time, version });
}
