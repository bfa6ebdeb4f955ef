// "/": every host at a glance (state, last seen, addresses, restarts needed, reboot, jobs, alerts),
// then what is firing, active silences and every job. Pure: read models in, HTML out.
import type { AlertsView, HostView, JobView } from "../../queries/index.js";
import { badge, hostHref, html, runDuration, when, type Html, type TimeFormat } from "./format.js";

export interface HostsPageData {
  hosts: readonly HostView[];
  jobs: readonly JobView[];
  alerts: AlertsView;
}

export function hostsPage(d: HostsPageData, t: TimeFormat): Html {
  const byState = new Map<string, number>();
  for (const h of d.hosts) byState.set(h.state, (byState.get(h.state) ?? 0) + 1);
  const jobsOf = new Map<string, JobView[]>();
  for (const j of d.jobs) jobsOf.set(j.host, [...(jobsOf.get(j.host) ?? []), j]);
  const summary = [
    html`<li><b>${d.hosts.length}</b> host${d.hosts.length === 1 ? "" : "s"}</li>`,
    ...[...byState].sort().map(([state, n]) => html`<li>${badge(state)} <b>${n}</b></li>`),
    html`<li>${badge(d.alerts.firing.length ? "firing" : "ok", "alerts firing")} <b>${d.alerts.firing.length}</b></li>`,
  ];
  return html`<ul class="summary" id="summary">${summary}</ul>
<h2>Hosts</h2>
${d.hosts.length === 0
    ? html`<p class="empty">No host has connected yet. Create a token with <code>lastseen token add NAME</code> and start an agent with it.</p>`
    : hostsTable(d.hosts, jobsOf, t)}
${firingSection(d.alerts, t)}
${silencesSection(d.alerts, t)}
<h2>Jobs</h2>
${d.jobs.length === 0 ? html`<p class="empty">No job has reported yet (<code>lastseen-agent job run NAME -- COMMAND</code>).</p>` : jobsTable(d.jobs, t)}`;
}

function hostsTable(hosts: readonly HostView[], jobsOf: Map<string, JobView[]>, t: TimeFormat): Html {
  const rows = hosts.map((h) => {
    const jobs = jobsOf.get(h.name) ?? [];
    return html`<tr data-host="${h.name}">
<td class="title" data-label="Host"><a href="${hostHref(h.name)}">${h.name}</a>${h.hostname && h.hostname !== h.name ? html` <span class="muted">(${h.hostname})</span>` : ""}</td>
<td data-label="State">${badge(h.state)}${h.connected ? "" : html` <span class="muted">disconnected</span>`}${h.silencedUntil ? html`<span class="abs">silenced until ${when(h.silencedUntil, t)}</span>` : ""}</td>
<td data-label="Last seen">${when(h.lastSeen, t)}</td>
<td data-label="IPv4" class="mono">${h.addresses.v4 ?? html`<span class="muted">–</span>`}</td>
<td data-label="IPv6" class="mono">${h.addresses.v6 ?? html`<span class="muted">–</span>`}</td>
<td data-label="Restarts">${h.staleProcesses > 0 ? badge("stale", `${h.staleProcesses} process${h.staleProcesses === 1 ? "" : "es"}`) : html`<span class="muted">none</span>`}${h.rebootRequired ? badge("reboot", "reboot pending") : ""}</td>
<td data-label="Jobs">${jobs.length === 0 ? html`<span class="muted">–</span>` : html`<ul class="plain">${jobs.map((j) => html`<li>${j.job} ${badge(j.state)}${j.lastResult && j.lastResult !== j.state ? html` <span class="muted">last: ${j.lastResult}</span>` : ""}</li>`)}</ul>`}</td>
<td data-label="Alerts">${h.alerts.length === 0 ? html`<span class="muted">–</span>` : h.alerts.map((a) => badge("firing", a))}</td>
</tr>`;
  });
  return html`<table class="cards" id="hosts">
<thead><tr><th>Host</th><th>State</th><th>Last seen</th><th>IPv4</th><th>IPv6</th><th>Restart needed</th><th>Jobs</th><th>Alerts</th></tr></thead>
<tbody>${rows}</tbody>
</table>`;
}

function firingSection(a: AlertsView, t: TimeFormat): Html {
  if (a.firing.length === 0) return html`<h2>Alerts</h2><p class="empty">Nothing is firing.</p>`;
  return html`<h2>Alerts</h2>
<table class="cards" id="alerts">
<thead><tr><th>Host</th><th>Rule</th><th>Since</th><th>Notified</th></tr></thead>
<tbody>${a.firing.map((f) => html`<tr>
<td class="title" data-label="Host">${f.host ? html`<a href="${hostHref(f.host)}">${f.host}</a>` : html`<span class="muted">collector</span>`}</td>
<td data-label="Rule">${badge("firing", f.key ? `${f.rule}: ${f.key}` : f.rule)}${f.silenced ? badge("silenced") : ""}</td>
<td data-label="Since">${when(f.since, t)}</td>
<td data-label="Notified">${f.notified ? "yes" : html`<span class="muted">not yet</span>`}</td>
</tr>`)}</tbody>
</table>`;
}

function silencesSection(a: AlertsView, t: TimeFormat): Html {
  if (a.silences.length === 0) return html``;
  return html`<h2>Silences</h2>
<table class="cards" id="silences">
<thead><tr><th>Host</th><th>Until</th><th>Reason</th><th>Id</th></tr></thead>
<tbody>${a.silences.map((s) => html`<tr>
<td class="title" data-label="Host"><a href="${hostHref(s.host)}">${s.host}</a></td>
<td data-label="Until">${when(s.until, t)}</td>
<td data-label="Reason">${s.reason || html`<span class="muted">–</span>`}</td>
<td data-label="Id" class="num">${s.id}</td>
</tr>`)}</tbody>
</table>`;
}

export function jobsTable(jobs: readonly JobView[], t: TimeFormat, withHost = true): Html {
  return html`<table class="cards jobs">
<thead><tr>${withHost ? html`<th>Host</th>` : ""}<th>Job</th><th>State</th><th>Last result</th><th>Last end</th><th>Duration</th><th>Next deadline</th></tr></thead>
<tbody>${jobs.map((j) => html`<tr data-job="${j.job}">
${withHost ? html`<td data-label="Host"><a href="${hostHref(j.host)}">${j.host}</a></td>` : ""}
<td class="title" data-label="Job">${j.job}${j.schedule ? html`<span class="abs">${j.schedule}</span>` : ""}</td>
<td data-label="State">${badge(j.state)}</td>
<td data-label="Last result">${j.lastResult === null ? html`<span class="muted">none yet</span>` : badge(j.lastResult)}${j.exitCode !== null && j.exitCode !== 0 ? html` exit ${j.exitCode}` : ""}${j.signal ? html` <span class="mono">${j.signal}</span>` : ""}</td>
<td data-label="Last end">${when(j.lastEnd, t, j.lastResult === "running" ? "running" : "never")}</td>
<td data-label="Duration" class="num">${j.durationMs === null ? html`<span class="muted">–</span>` : runDuration(j.durationMs)}</td>
<td data-label="Next deadline">${j.nextDeadline ? when(j.nextDeadline, t) : html`<span class="muted">${j.expectation ? "–" : "no schedule"}</span>`}</td>
</tr>`)}</tbody>
</table>`;
}
