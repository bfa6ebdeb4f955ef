// Exec channel: runs a configured command (argv, no shell) once per alert, for anything the other
// channels do not cover (ntfy, Gotify, SMS gateways, ...). The alert is in LASTSEEN_* environment
// variables and, as JSON (payload.ts), on stdin. Exit 0 = delivered; a non-zero exit, a signal or
// the timeout = a retryable failure whose message ends with the last lines of stderr. The command
// runs in its own process group, and the whole group is killed on timeout (SIGTERM, then SIGKILL).
import { runCommand } from "../process/run-command.js";
import { NotifyError } from "./notifier.js";
import type { Alert, DeliveryReceipt, Notifier } from "./notifier.js";
import { alertPayload } from "./payload.js";

export interface ExecChannelOptions {
  readonly name: string;
  /** argv: the program and its arguments. */
  readonly command: readonly string[];
  readonly timeoutMs: number;
  /** Extra environment variables (already resolved). */
  readonly env?: Readonly<Record<string, string>>;
  /** The collector's environment; only INHERITED_ENV is passed on from it. */
  readonly parentEnv?: NodeJS.ProcessEnv;
  /** Time between SIGTERM and SIGKILL on timeout. Default 2000 ms. */
  readonly killGraceMs?: number;
  /** Working directory of the command. Default: the collector's. */
  readonly cwd?: string;
}

/** Variables the command inherits from the collector; anything else must be set with `env`. */
export const INHERITED_ENV: readonly string[] = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"];

/** LASTSEEN_FACT_<KEY>: the key upper-cased, anything but A-Z, 0-9 and _ replaced by _. */
export function factVariable(key: string): string {
  return `LASTSEEN_FACT_${key.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;
}

/** The environment of one run, without the inherited variables. */
export function execAlertEnv(alert: Alert, channel: string, attempt: number): Record<string, string> {
  const env: Record<string, string> = {
    LASTSEEN_CHANNEL: channel,
    LASTSEEN_ATTEMPT: String(attempt),
    LASTSEEN_KIND: alert.kind,
    LASTSEEN_HOST: alert.host,
    LASTSEEN_RULE: alert.rule,
    LASTSEEN_SUBJECT: alert.subject,
    LASTSEEN_TEXT: alert.text,
    LASTSEEN_AT: alert.at.toISOString(),
    LASTSEEN_FLIP_ID: alert.flipId,
    LASTSEEN_INCIDENT_ID: alert.incidentId,
  };
  for (const [k, v] of Object.entries(alert.facts)) env[factVariable(k)] = v;
  return env;
}

export class ExecNotifier implements Notifier {
  readonly type = "exec" as const;
  readonly name: string;

  constructor(private readonly opts: ExecChannelOptions) {
    if (opts.command.length === 0 || !opts.command[0]) {
      throw new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `exec channel "${opts.name}": command is empty`, false);
    }
    this.name = opts.name;
  }

  send(alert: Alert, attempt: number): Promise<DeliveryReceipt> {
    const parent = this.opts.parentEnv ?? process.env;
    const env: Record<string, string> = {};
    for (const k of INHERITED_ENV) {
      const v = parent[k];
      if (v !== undefined) env[k] = v;
    }
    Object.assign(env, this.opts.env, execAlertEnv(alert, this.name, attempt));
    return this.run(env, `${JSON.stringify(alertPayload(alert))}\n`);
  }

  private async run(env: Record<string, string>, stdin: string): Promise<DeliveryReceipt> {
    const label = `exec channel "${this.name}": ${this.opts.command[0]}`;
    const r = await runCommand({ command: this.opts.command, env, stdin, cwd: this.opts.cwd, timeoutMs: this.opts.timeoutMs, killGraceMs: this.opts.killGraceMs });
    const tail = "stderrTail" in r && r.stderrTail ? `; stderr: ${r.stderrTail}` : "";
    switch (r.kind) {
      case "exited":
        if (r.code === 0) return { id: `pid ${r.pid} exit 0` };
        throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${label} exited with code ${r.code} (pid ${r.pid})${tail}`, true);
      case "signaled":
        throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${label} was killed by ${r.signal} (pid ${r.pid})${tail}`, true);
      case "timeout":
      case "aborted":
        throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${label} timed out after ${this.opts.timeoutMs} ms; process group ${r.pid} was killed${tail}`, true);
      case "stdin-failed":
        throw new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${label}: writing the alert to stdin failed (${r.code})`, true);
      case "spawn-failed":
        // ENOENT, EACCES: retrying will not help until the config is fixed.
        throw new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `${label}: cannot run the command (${r.code})`, false, undefined, { cause: r.cause });
    }
  }
}
