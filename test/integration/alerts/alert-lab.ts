// A collector process (`lastseen serve --config FILE`) with real notification peers on loopback
// (smtp-server + mailparser, a spec-following Matrix homeserver, a webhook receiver) and real
// agent processes that tests kill, stop and restart. Short timeouts come from the config.
import { spawn } from "node:child_process";
import { afterAll, beforeAll } from "vitest";
import { writeFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { ReceivedMail } from "../../helpers/smtp-sink.js";
import { startSmtpSink, type SmtpSink } from "../../helpers/smtp-sink.js";
import { startMatrixHomeserver, type MatrixHomeserver, type StoredEvent } from "../../helpers/matrix-homeserver.js";
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from "../../helpers/webhook-receiver.js";
import {
  addToken, COLLECTOR_CLI, freePort, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc,
} from "../../helpers/procs.js";
import type { AlertsView } from "../../../collector/queries/index.js";

export const MATRIX_TOKEN = "syt_bGFzdHNlZW4_test";
export const BOT = "@lastseen:example.org";
export const ROOM = "!alerts:example.org";
export const WEBHOOK_SECRET = "whsec-3f9c2a7d1e";

export interface Peers {
  smtp: SmtpSink;
  matrix: MatrixHomeserver;
  webhook: WebhookReceiver;
  close(): Promise<void>;
}

export async function startPeers(): Promise<Peers> {
  const smtp = await startSmtpSink();
  const matrix = await startMatrixHomeserver({ users: { [MATRIX_TOKEN]: BOT }, rooms: [{ roomId: ROOM, members: [BOT] }] });
  const webhook = await startWebhookReceiver();
  return {
    smtp, matrix, webhook,
    close: async () => {
      await Promise.all([smtp.close(), matrix.close(), webhook.close()]);
    },
  };
}

export interface LabOptions {
  /** Lines for [alerts]; default: the short timeouts below. */
  alerts?: Record<string, string>;
  /** Which channels to configure (default all three). */
  channels?: ("email" | "matrix" | "webhook")[];
  /** SMTP URL instead of the sink's (e.g. a proxy in front of it). */
  smtpUrl?: string;
  /** More TOML appended as is ([[jobs]], [[hosts]]). */
  extraToml?: string;
}

export const SHORT_ALERTS = { silent_after: "3s", collector_down_after: "2s", alive_interval: "500ms" };

export class AlertLab {
  readonly dir = tempDir("lastseen-alerts-");
  readonly data = join(this.dir.path, "data");
  readonly configFile = join(this.dir.path, "collector.toml");
  port = 0;
  collector: CollectorProc | null = null;
  readonly agents = new Map<string, { token: string; state: string; proc: Proc | null }>();
  private readonly procs: Proc[] = [];

  constructor(readonly peers: Peers, readonly o: LabOptions = {}) {}

  writeConfig(o: LabOptions = this.o): void {
    const alerts = { ...SHORT_ALERTS, ...o.alerts };
    const channels = o.channels ?? ["email", "matrix", "webhook"];
    writeFileSync(join(this.dir.path, "matrix-token"), `${MATRIX_TOKEN}\n`, { mode: 0o600 });
    writeFileSync(join(this.dir.path, "webhook-secret"), `${WEBHOOK_SECRET}\n`, { mode: 0o600 });
    const toml = [
      "[alerts]",
      ...Object.entries(alerts).map(([k, v]) => `${k} = "${v}"`),
      "",
      ...(channels.includes("email") ? [
        "[[notify.email]]", `smtp = "${o.smtpUrl ?? this.peers.smtp.url}"`, `from = "lastseen@example.org"`, `to = ["owner@example.org"]`, `timeout = "20s"`, "",
      ] : []),
      ...(channels.includes("matrix") ? [
        "[[notify.matrix]]", `homeserver = "${this.peers.matrix.url}"`, `access_token_file = "${join(this.dir.path, "matrix-token")}"`, `room = "${ROOM}"`, "",
      ] : []),
      ...(channels.includes("webhook") ? [
        "[[notify.webhook]]", `url = "${this.peers.webhook.url}"`, `secret_file = "${join(this.dir.path, "webhook-secret")}"`, "",
      ] : []),
      o.extraToml ?? "",
    ].join("\n");
    writeFileSync(this.configFile, toml);
  }

  async start(): Promise<CollectorProc> {
    if (!this.port) this.port = await freePort();
    this.writeConfig();
    this.collector = await startCollector(this.data, { port: this.port, args: ["--config", this.configFile] });
    this.procs.push(this.collector);
    return this.collector;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const c = this.collector;
    this.collector = null;
    if (c) await c.kill(signal);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  addHost(name: string): void {
    const token = addToken(this.data, name);
    this.agents.set(name, { token, state: join(this.dir.path, `agent-${name}`), proc: null });
  }

  /** Starts the host's agent (1 s heartbeats) and waits until the collector welcomed it. */
  async startAgent(name: string): Promise<Proc> {
    const a = this.agents.get(name)!;
    const p = startAgent(this.url, a.token, a.state);
    a.proc = p;
    this.procs.push(p);
    await waitFor(`agent ${name} connected`, () => {
      if (p.child.exitCode !== null) throw new Error(`agent ${name} exited: ${p.output()}`);
      return p.output().includes("connected to the collector");
    });
    return p;
  }

  /** Kills the agent; resolves with the time it was gone. */
  async killAgent(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<number> {
    const a = this.agents.get(name)!;
    const p = a.proc!;
    a.proc = null;
    if (signal === "SIGSTOP") p.child.kill(signal); // it does not exit: it just says nothing more
    else await p.kill(signal);
    return Date.now();
  }

  /**
   * `lastseen ARGS --data DATA`, run asynchronously: the peers live in this process, and a
   * synchronous spawn would freeze them while the collector talks to them.
   */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return runAsync(COLLECTOR_CLI, [...args, "--data", this.data]);
  }

  async cliJson<T>(args: string[]): Promise<T> {
    const r = await this.cli([...args, "--json"]);
    if (r.code !== 0) throw new Error(`lastseen ${args.join(" ")} --json exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  alerts(): Promise<AlertsView> {
    return this.cliJson<AlertsView>(["alerts", "--limit", "200"]);
  }

  async close(): Promise<void> {
    for (const p of this.procs) await p.kill("SIGKILL");
    this.dir.remove();
  }
}

/** Runs a CLI to completion without blocking this process's event loop. */
/**
 * The usual suite set-up: peers, a lab with one host and its agent running, all closed after the
 * suite. `use` receives them (the suite keeps them in its own variables).
 */
export function withAlertLab(host: string, opts: LabOptions | undefined, use: (peers: Peers, lab: AlertLab) => void): void {
  let peers: Peers | undefined;
  let lab: AlertLab | undefined;
  beforeAll(async () => {
    peers = await startPeers();
    lab = new AlertLab(peers, opts);
    await lab.start();
    lab.addHost(host);
    await lab.startAgent(host);
    use(peers, lab);
  });
  afterAll(async () => {
    await lab?.close();
    await peers?.close();
  });
}

export function runAsync(cli: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
}

// ---------- what the peers received ----------

export function header(m: ReceivedMail, name: string): string {
  const v = m.parsed.headers.get(name.toLowerCase());
  return typeof v === "string" ? v : v === undefined ? "" : String(v);
}

export function mailsFor(smtp: SmtpSink, host: string, kind?: string): ReceivedMail[] {
  return smtp.mails.filter((m) => header(m, "x-lastseen-host") === host && (kind === undefined || header(m, "x-lastseen-kind") === kind));
}

export function matrixEventsFor(matrix: MatrixHomeserver, host: string, kind?: string): StoredEvent[] {
  return matrix.events.filter((e) => {
    const a = e.content["org.lastseen.alert"] as { host?: string; kind?: string } | undefined;
    return a?.host === host && (kind === undefined || a.kind === kind);
  });
}

export function webhooksFor(webhook: WebhookReceiver, host: string, kind?: string): ReceivedWebhook[] {
  return webhook.requests.filter((r) => {
    const j = r.json as { host?: string; kind?: string } | undefined;
    return j?.host === host && (kind === undefined || j.kind === kind);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { waitFor };

/**
 * A TCP relay in front of a server that can hold new connections instead (they are accepted and
 * then get no byte: an SMTP client waits for the greeting), to freeze a delivery mid-way.
 */
export class Relay {
  private server: Server | null = null;
  holding = false;
  readonly held: Socket[] = [];
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((c) => {
      if (this.holding) {
        this.held.push(c);
        c.on("error", () => c.destroy());
        return;
      }
      const up = connect(this.targetPort, "127.0.0.1");
      c.pipe(up).pipe(c);
      up.on("error", () => c.destroy());
      c.on("error", () => up.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.held) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
