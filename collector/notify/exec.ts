// Exec channel: runs a configured command (argv, no shell) once per alert, for anything the other
// channels do not cover (ntfy, Gotify, SMS gateways, ...). The alert is in LASTSEEN_* environment
// variables and, as JSON (payload.ts), on stdin. Exit 0 = delivered; a non-zero exit, a signal or
// the timeout = a retryable failure whose message ends with the last lines of stderr. The command
// runs in its own process group, and the whole group is killed on timeout (SIGTERM, then SIGKILL).
import { spawn } from "node:child_process";
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

const STDERR_TAIL_BYTES = 8192;
const STDERR_TAIL_LINES = 5;
/** How long to wait for stdout/stderr to close after the process exited (a grandchild may hold them). */
const STDIO_DRAIN_MS = 1000;

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

  private run(env: Record<string, string>, stdin: string): Promise<DeliveryReceipt> {
    const [file, ...args] = this.opts.command as [string, ...string[]];
    const label = `exec channel "${this.name}": ${file}`;
    return new Promise<DeliveryReceipt>((resolve, reject) => {
      const child = spawn(file, args, { env, cwd: this.opts.cwd, detached: true, stdio: ["pipe", "pipe", "pipe"], shell: false });
      let stderr = Buffer.alloc(0);
      let timedOut = false;
      let settled = false;
      let killTimer: NodeJS.Timeout | undefined;

      const killGroup = (signal: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch (err) {
          // ESRCH: the whole group is gone already, which is what we want. Anything else (EPERM
          // after a setuid exec): fall back to the process itself.
          if ((err as NodeJS.ErrnoException).code !== "ESRCH") child.kill(signal);
        }
      };

      const timer = setTimeout(() => {
        timedOut = true;
        killGroup("SIGTERM");
        killTimer = setTimeout(() => killGroup("SIGKILL"), this.opts.killGraceMs ?? 2000);
        killTimer.unref();
      }, this.opts.timeoutMs);

      const finish = (err: NotifyError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve({ id: `pid ${child.pid} exit 0` });
      };

      child.stdout.resume(); // output is not used; drain it so the command never blocks on a full pipe
      child.stderr.on("data", (chunk: Buffer) => {
        stderr = Buffer.concat([stderr, chunk]);
        if (stderr.length > STDERR_TAIL_BYTES) stderr = stderr.subarray(stderr.length - STDERR_TAIL_BYTES);
      });
      child.stdin.on("error", (err: NodeJS.ErrnoException) => {
        // EPIPE: the command exited without reading stdin; it may use the environment only.
        if (err.code !== "EPIPE") finish(new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${label}: writing the alert to stdin failed (${err.code ?? err.message})`, true));
      });
      child.stdin.end(stdin);

      child.on("error", (err: NodeJS.ErrnoException) => {
        // spawn failed (ENOENT, EACCES): retrying will not help until the config is fixed.
        finish(new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `${label}: cannot run the command (${err.code ?? err.message})`, false, undefined, { cause: err }));
      });

      child.on("exit", (code, signal) => {
        const report = (): void => {
          const tail = lastLines(stderr.toString("utf8"), STDERR_TAIL_LINES);
          const why = timedOut
            ? `timed out after ${this.opts.timeoutMs} ms; process group ${child.pid} was killed`
            : signal
              ? `was killed by ${signal} (pid ${child.pid})`
              : code === 0
                ? undefined
                : `exited with code ${code} (pid ${child.pid})`;
          if (why === undefined) finish(undefined);
          else finish(new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", `${label} ${why}${tail ? `; stderr: ${tail}` : ""}`, true));
        };
        // Give stderr a moment to deliver its last bytes; a background grandchild may keep the
        // pipes open for long, so do not wait for it.
        if (child.stderr.readableEnded) {
          report();
          return;
        }
        const drain = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          report();
        }, STDIO_DRAIN_MS);
        drain.unref();
        child.stderr.once("end", () => {
          clearTimeout(drain);
          report();
        });
      });
    });
  }
}

function lastLines(text: string, n: number): string {
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0);
  return lines.slice(-n).join(" | ");
}
