// "/hosts/NAME": everything about one host: facts, addresses and their history, what needs a
// restart (with the systemctl line), the kernel, jobs with their recent runs, and alerts.
// Pure: read models in, HTML out.
import type { AlertsView, HostDetail, JobRun } from "../../queries/index.js";
import { badge, html, runDuration, when, type Html, type TimeFormat } from "./format.js";
import { jobsTable } from "./hosts-page.js";

/** One run of a job, newest first. */
export type JobRunView = JobRun;

export interface HostPageData {
  host: HostDetail;
  alerts: AlertsView;
  /** Recent runs by job name (empty when the collector does not provide them). */
  runs: ReadonlyMap<string, readonly JobRunView[]>;
}

const isoOf = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function hostPage(d: HostPageData, t: TimeFormat): Html {
  const h = d.host;
  return html`<p><a href="/">← all hosts</a></p>
<h2 id="host-name">${h.name} ${badge(h.state)}</h2>
${facts(h, t)}
${addresses(h, t)}
${restarts(h, t)}
<h2>Jobs</h2>
${h.jobs.length === 0 ? html`<p class="empty">No job has reported from this host.</p>` : html`${jobsTable(h.jobs, t, false)}${h.jobs.map((j) => runsOf(j.job, j.hint, d.runs.get(j.job) ?? [], t))}`}
${alertsOf(d.alerts, t)}`;
}

function facts(h: HostDetail, t: TimeFormat): Html {
  return html`<dl class="facts" id="facts">
<dt>State</dt><dd>${badge(h.state)} ${h.connected ? "connected" : html`<span class="muted">not connected</span>`}</dd>
<dt>Last seen</dt><dd>${when(h.lastSeen, t)}</dd>
${h.silencedUntil ? html`<dt>Silenced until</dt><dd>${when(h.silencedUntil, t)}</dd>` : ""}
<dt>Hostname</dt><dd>${h.hostname ?? "–"}</dd>
<dt>OS</dt><dd>${h.os ?? "–"}</dd>
<dt>Kernel</dt><dd class="mono">${h.kernel ?? "–"}</dd>
<dt>Agent</dt><dd>${h.agentVersion ?? "–"}</dd>
<dt>Heartbeat</dt><dd>${h.heartbeatIntervalMs === null ? "–" : runDuration(h.heartbeatIntervalMs)}, silent after ${runDuration(h.timeoutMs)}</dd>
<dt>Outbox</dt><dd>${h.outbox.pending} pending${h.outbox.dropped ? html`, ${badge("failed", `${h.outbox.dropped} dropped`)}` : ""}</dd>
<dt>Events</dt><dd>${h.eventsReceived} received</dd>
<dt>Alerts</dt><dd>${h.alerts.length ? h.alerts.map((a) => badge("firing", a)) : html`<span class="muted">none</span>`}</dd>
</dl>`;
}

function addresses(h: HostDetail, t: TimeFormat): Html {
  return html`<h2>Addresses</h2>
<dl class="facts" id="current-addresses">
<dt>IPv4</dt><dd class="mono">${h.addresses.v4 ?? "–"}</dd>
<dt>IPv6</dt><dd class="mono">${h.addresses.v6 ?? "–"}</dd>
</dl>
<h3>History</h3>
${h.ipHistory.length === 0 ? html`<p class="empty">No address recorded yet.</p>` : html`<table class="cards" id="ip-history">
<thead><tr><th>Address</th><th>Family</th><th>First seen</th><th>Last seen</th><th>Sources</th></tr></thead>
<tbody>${h.ipHistory.map((a) => html`<tr>
<td class="title mono" data-label="Address">${a.address}</td>
<td data-label="Family">IPv${a.family}</td>
<td data-label="First seen">${when(a.firstSeen, t)}</td>
<td data-label="Last seen">${when(a.lastSeen, t)}</td>
<td data-label="Sources">${a.sources.join(", ")}</td>
</tr>`)}</tbody>
</table>`}`;
}

function restarts(h: HostDetail, t: TimeFormat): Html {
  const k = h.scan?.kernel;
  return html`<h2>Restart needed</h2>
${h.scan ? html`<p class="note">${h.scan.scannedProcesses} processes scanned${h.scan.skipped.vanished || h.scan.skipped.denied ? `, ${h.scan.skipped.vanished} vanished, ${h.scan.skipped.denied} not readable` : ""}; last scan ${when(h.scan.scannedAt, t)}</p>` : html`<p class="empty">No scan reported yet.</p>`}
${k ? html`<dl class="facts" id="kernel">
<dt>Running kernel</dt><dd class="mono">${k.running ?? "–"}</dd>
<dt>Installed kernel</dt><dd class="mono">${k.installed ?? "–"}</dd>
<dt>Reboot</dt><dd>${k.rebootRequired ? html`${badge("reboot", "reboot pending")} ${k.reason ?? ""}` : html`<span class="muted">not needed</span>`}</dd>
</dl>` : ""}
${h.restartCommands.length ? html`<h3>To run</h3>${h.restartCommands.map((c) => html`<code class="cmd">${c}</code>`)}` : ""}
${h.findings.length === 0 ? (h.scan ? html`<p class="empty">No process runs deleted libraries or executables.</p>` : "") : html`<table class="cards" id="findings">
<thead><tr><th>Process</th><th>Unit</th><th>User</th><th>Deleted files</th><th>Since</th><th>Restart</th></tr></thead>
<tbody>${h.findings.map((f) => html`<tr>
<td class="title" data-label="Process">${f.name} <span class="muted">pid ${f.pid}</span></td>
<td data-label="Unit" class="mono">${f.container ? `container ${f.container}` : f.unit ?? "–"}</td>
<td data-label="User">${f.user}</td>
<td data-label="Deleted files"><ul class="plain mono">${f.deleted.map((p) => html`<li>${p}</li>`)}</ul></td>
<td data-label="Since">${when(f.firstSeen, t)}</td>
<td data-label="Restart"><code>${f.restart}</code></td>
</tr>`)}</tbody>
</table>`}`;
}

function runsOf(job: string, hint: string | null, runs: readonly JobRunView[], t: TimeFormat): Html {
  return html`<h3>${job}: recent runs</h3>
${hint ? html`<p class="muted">${hint}</p>` : ""}
${runs.length === 0 ? html`<p class="empty">No run recorded.</p>` : html`<table class="cards runs" data-job="${job}">
<thead><tr><th>Started</th><th>Ended</th><th>Result</th><th>Duration</th><th>Output</th></tr></thead>
<tbody>${runs.map((r) => html`<tr>
<td class="title" data-label="Started">${when(isoOf(r.startedAt), t, "–")}</td>
<td data-label="Ended">${when(isoOf(r.endedAt), t, "running")}</td>
<td data-label="Result">${r.endedAt === null ? badge("running") : r.exitCode === 0 && !r.signal ? badge("ok") : html`${badge("failed")} ${r.signal ? html`<span class="mono">${r.signal}</span>` : `exit ${r.exitCode ?? "?"}`}`}${r.message ? html`<span class="abs">${r.message}</span>` : ""}</td>
<td data-label="Duration" class="num">${r.durationMs === null ? "–" : runDuration(r.durationMs)}</td>
<td data-label="Output">${r.outputTail ? html`<details><summary>last lines</summary><pre>${r.outputTail}</pre></details>` : html`<span class="muted">–</span>`}</td>
</tr>`)}</tbody>
</table>`}`;
}

function alertsOf(a: AlertsView, t: TimeFormat): Html {
  return html`<h2>Alerts</h2>
${a.firing.length === 0 ? html`<p class="empty">Nothing is firing for this host.</p>` : html`<ul class="plain" id="host-firing">${a.firing.map((f) => html`<li>${badge("firing", f.key ? `${f.rule}: ${f.key}` : f.rule)} since ${when(f.since, t)}${f.silenced ? badge("silenced") : ""}</li>`)}</ul>`}
${a.silences.length ? html`<p>${a.silences.map((s) => html`${badge("silenced")} until ${when(s.until, t)} ${s.reason}`)}</p>` : ""}
${a.flips.length === 0 ? "" : html`<h3>Recent notifications</h3>
<table class="cards" id="flips">
<thead><tr><th>When</th><th>What</th><th>Delivery</th></tr></thead>
<tbody>${a.flips.map((f) => html`<tr>
<td class="title" data-label="When">${when(f.at, t)}</td>
<td data-label="What">${badge(f.kind)} ${f.subject}${f.suppressed ? html`<span class="abs">not sent: ${f.suppressed}</span>` : ""}</td>
<td data-label="Delivery">${f.notifications.length === 0 ? html`<span class="muted">–</span>` : f.notifications.map((n) => html`${badge(n.status, `${n.channel}: ${n.status}`)}${n.lastError ? html`<span class="abs">${n.lastError}</span>` : ""}`)}</td>
</tr>`)}</tbody>
</table>`}`;
}
