// What a flip says: subject, plain text and HTML for each rule and kind. Pure; the facts are
// strings (they also go to webhooks and exec channels as they are).
import { formatDuration } from "../../proto/duration.js";
import { escapeHtml } from "../notify/escape-html.js";
import type { FlipKind } from "../store/alert-repo.js";

export type Facts = Record<string, string>;

export interface Rendered {
  subject: string;
  /** Lines of "label: value" or sentences. */
  lines: string[];
}

export interface RenderedFlip {
  subject: string;
  text: string;
  html: string;
}

const when = (iso: string | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, " UTC") : "never");
const dur = (ms: string | undefined) => (ms ? formatDuration(Number(ms)) : "?");

type Renderer = (kind: FlipKind, f: Facts) => Rendered;

const hostSilent: Renderer = (kind, f) => {
  if (kind === "resolved") {
    return {
      subject: `UP ${f.host}: back after ${dur(f.down_for_ms)}${f.address ? `, now at ${f.address}` : ""}`,
      lines: [
        `${f.host} is back: it was silent for ${dur(f.down_for_ms)} (last seen ${when(f.silent_since)}, back ${when(f.back_at)}).`,
        `address: ${f.address || "unknown"}${f.previous_address && f.previous_address !== f.address ? ` (was ${f.previous_address})` : ""}`,
      ],
    };
  }
  const again = kind === "reminder" ? "still " : "";
  return {
    subject: `DOWN ${f.host}: ${again}silent since ${when(f.last_seen)}`,
    lines: [
      `${f.host} has sent nothing for ${dur(f.silent_for_ms)} (its timeout is ${dur(f.timeout_ms)}).`,
      `last seen: ${when(f.last_seen)}`,
      `last known address: ${f.address || "unknown"}`,
      ...(f.last_report ? [`last report: ${f.last_report}`] : []),
    ],
  };
};

const hostStale: Renderer = (kind, f) => {
  if (kind === "resolved") return { subject: `OK ${f.host}: no service needs a restart any more`, lines: ["Every process now runs current code, and no reboot is pending."] };
  const parts = [f.targets ? `${f.targets.split(",").length} to restart` : "", f.reboot === "true" ? "reboot pending" : ""].filter(Boolean).join(", ");
  return {
    subject: `RESTART ${f.host}: ${parts}`,
    lines: [
      ...(f.targets ? [`still running deleted libraries for over ${dur(f.delay_ms)}: ${f.targets.split(",").join(", ")}`] : []),
      ...(f.targets ? [`run: ${f.restart_command}`] : []),
      ...(f.reboot === "true" ? [`kernel: running ${f.kernel_running || "?"}, installed ${f.kernel_installed || "?"}: reboot to use it`] : []),
    ],
  };
};

const jobRule = (what: string, resolved: string): Renderer => (kind, f) => {
  if (kind === "resolved") return { subject: `OK ${f.host}/${f.job}: ${resolved}`, lines: [`last run: ${when(f.last_end || f.last_start)}${f.exit_code ? `, exit code ${f.exit_code}` : ""}`] };
  return {
    subject: `${kind === "reminder" ? "STILL " : ""}JOB ${f.host}/${f.job}: ${what}`,
    lines: [
      ...(f.reason ? [f.reason] : []),
      `schedule: ${f.schedule || "none"}`,
      `last start: ${when(f.last_start)}, last end: ${when(f.last_end)}${f.exit_code ? `, exit code ${f.exit_code}` : ""}${f.signal ? `, ${f.signal}` : ""}`,
      ...(f.output_tail ? ["last output:", ...f.output_tail.split("\n").slice(-10).map((l) => `  ${l}`)] : []),
    ],
  };
};

const ipChanged: Renderer = (_kind, f) => ({
  subject: `IP ${f.host}: now ${f.address}`,
  lines: [`${f.host} changed its IPv${f.family} address from ${f.previous_address || "unknown"} to ${f.address} (seen by ${f.source}).`],
});

const ipHookFailed: Renderer = (kind, f) => kind === "resolved"
  ? f.error === "the hook is no longer configured"
    ? { subject: `OK ${f.host}: the IP change hook is no longer configured`, lines: ["its earlier failure is no longer tracked"] }
    : { subject: `OK ${f.host}: IP change hook succeeded`, lines: [`the hook ran for ${f.address}`] }
  : { subject: `HOOK ${f.host}: the IP change hook failed`, lines: [`for the new address ${f.address}: ${f.error}`, "your DNS may point to the old address"] };

const collectorDown: Renderer = (_kind, f) => ({
  subject: `collector was down ${f.down_from_short}-${f.down_to_short}; ${f.not_back === "0" ? "all hosts are back" : `${f.not_back} host${f.not_back === "1" ? "" : "s"} not back yet`}`,
  lines: [
    `The lastseen collector was not running from ${when(f.down_from)} to ${when(f.down_to)} (${dur(f.down_for_ms)}).`,
    ...(f.not_back !== "0" ? [`not back yet: ${f.not_back_hosts}`] : []),
  ],
});

const RENDERERS: Record<string, Renderer> = {
  "host.silent": hostSilent,
  "host.stale": hostStale,
  "job.failed": jobRule("failed", "succeeded again"),
  "job.missed": jobRule("did not run", "ran again"),
  "job.too-long": jobRule("is running too long", "finished"),
  "ip.changed": ipChanged,
  "ip.hook-failed": ipHookFailed,
  "collector.down": collectorDown,
};

export function renderFlip(rule: string, kind: FlipKind, facts: Facts): RenderedFlip {
  const r = (RENDERERS[rule] ?? ((_k: FlipKind, f: Facts) => ({ subject: `${rule} ${f.host ?? ""}`, lines: [] })))(kind, facts);
  return {
    subject: r.subject,
    text: r.lines.join("\n"),
    html: r.lines.map((l) => `<p>${escapeHtml(l)}</p>`).join(""),
  };
}
