// The product in containers: a collector (data on a named volume, so a restarted container keeps
// it) and agents (state in the container's own filesystem, kept across restarts of the container).
// Every CLI call runs inside the container, exactly as an operator would type it there:
//   lastseen hosts --data /data --json            (collector container)
//   lastseen-agent job run NAME --state DIR -- CMD (agent container)

import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Wait } from "testcontainers";
import type { StartedTestContainer } from "testcontainers";
import { exec, logs, projectRoot } from "../../helpers/docker.js";
import type { Lab } from "../../helpers/docker.js";

export const COLLECTOR_PORT = 7070;
export const COLLECTOR_DATA = "/data";
export const AGENT_STATE = "/var/lib/lastseen-agent";

/** `lastseen hosts --json` entry (the fields the scenarios read). */
export interface HostView {
  name: string;
  state: string;
  lastSeen: string;
  address: string | null;
  connected: boolean;
  hostname: string;
  staleProcesses: number;
  eventsReceived: number;
}

export interface Finding {
  pid: number;
  name: string;
  deleted: string[];
  container: string | null;
}

export interface HostDetail extends HostView {
  findings: Finding[];
  /** The last stale-library scan the host reported (null before the first). */
  scan: { scannedAt: string } | null;
}

/** `lastseen jobs --json` entry. */
export interface JobView {
  host: string;
  job: string;
  lastResult: string;
  runs: number;
}

/** `lastseen-agent status --json`. */
export interface AgentStatus {
  running: boolean;
  connected: boolean;
  pending: number;
  dropped: number;
  acked: number;
  head: number;
}

/** Polls `probe` until it returns a value other than undefined; the last error or value explains a timeout. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt finished";
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = "not yet";
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms (last: ${last})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Writes what the containers said (and anything else worth keeping) to
 * test/artifacts/e2e/<suite>/<name>.log, for the post-mortem of a failed run. Called in afterAll,
 * before the lab's cleanup removes the containers; a source that fails is written as its error.
 */
export async function saveArtifacts(suite: string, sources: Record<string, () => Promise<string>>): Promise<string> {
  const dir = path.join(projectRoot(), "test", "artifacts", "e2e", suite);
  await mkdir(dir, { recursive: true });
  await Promise.all(Object.entries(sources).map(async ([name, read]) => {
    const text = await Promise.resolve().then(read).catch((err: Error) => `(could not be read: ${err.message})\n`);
    await writeFile(path.join(dir, `${name}.log`), text);
  }));
  return dir;
}

/** Runs argv in the container; throws with the output when it exits non-zero. */
async function run(c: StartedTestContainer, argv: string[]): Promise<string> {
  const r = await exec(c, argv);
  if (r.exitCode !== 0) {
    throw new Error(`${c.getHostname()}: \`${argv.join(" ")}\` exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Read-only query of the collector's SQLite database, run inside its container (CommonJS, node -e). */
const SQL_QUERY = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1], { readonly: true, fileMustExist: true });
process.stdout.write(JSON.stringify(db.prepare(process.argv[2]).all(...JSON.parse(process.argv[3]))));
db.close();
`;

export interface CollectorOptions {
  /** TOML file under the project, as seen inside the container (/app/...). */
  config?: string;
  /** Named volume from lab.volume() for the data directory. */
  volume: string;
}

export class Collector {
  private constructor(readonly container: StartedTestContainer) {}

  static async start(lab: Lab, opts: CollectorOptions): Promise<Collector> {
    const command = ["node", "dist/collector/cli.js", "serve", "--listen", `0.0.0.0:${COLLECTOR_PORT}`, "--data", COLLECTOR_DATA];
    if (opts.config) command.push("--config", opts.config);
    const container = await lab.container({
      name: "collector",
      command,
      volumes: [{ volume: opts.volume, target: COLLECTOR_DATA }],
      wait: Wait.forLogMessage("collector listening"),
    });
    return new Collector(container);
  }

  /** `lastseen ARGS --data /data` inside the collector container; stdout. */
  cli(args: string[]): Promise<string> {
    return run(this.container, ["node", "dist/collector/cli.js", ...args, "--data", COLLECTOR_DATA]);
  }

  async tokenAdd(host: string): Promise<string> {
    return (await this.cli(["token", "add", host])).trim();
  }

  async hosts(): Promise<HostView[]> {
    return JSON.parse(await this.cli(["hosts", "--json"])) as HostView[];
  }

  async host(name: string): Promise<HostDetail> {
    return JSON.parse(await this.cli(["host", name, "--json"])) as HostDetail;
  }

  async jobs(host?: string): Promise<JobView[]> {
    return JSON.parse(await this.cli(host ? ["jobs", host, "--json"] : ["jobs", "--json"])) as JobView[];
  }

  /** A read-only SQL query on the collector's database, inside its container. */
  async sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
    const out = await run(this.container, ["node", "-e", SQL_QUERY, `${COLLECTOR_DATA}/lastseen.db`, query, JSON.stringify(params)]);
    return JSON.parse(out) as T[];
  }

  /** Stored events of one host by kind and, for job events, job name: event id -> times stored. */
  async storedEventIds(host: string, kind: string): Promise<Map<string, number>> {
    const rows = await this.sql<{ event_id: string; n: number }>(
      `SELECT e.event_id, count(*) AS n FROM events e JOIN hosts h ON h.id = e.host_id
        WHERE h.name = ? AND e.kind = ? GROUP BY e.event_id`,
      [host, kind],
    );
    return new Map(rows.map((r) => [r.event_id, r.n]));
  }

  logs(): Promise<string> {
    return logs(this.container);
  }
}

export interface AgentOptions {
  name: string;
  token: string;
  collectorUrl?: string;
}

export class Agent {
  private constructor(
    readonly name: string,
    readonly container: StartedTestContainer,
  ) {}

  static async start(lab: Lab, opts: AgentOptions): Promise<Agent> {
    const container = await lab.container({
      name: opts.name,
      command: [
        "node", "dist/agent/cli.js", "run",
        "--collector", opts.collectorUrl ?? `ws://collector:${COLLECTOR_PORT}`,
        "--token", opts.token,
        "--state", AGENT_STATE,
        "--heartbeat", "1s",
      ],
      wait: Wait.forLogMessage("agent started"),
    });
    return new Agent(opts.name, container);
  }

  /** `lastseen-agent ARGS` inside the agent container; stdout. */
  cli(args: string[]): Promise<string> {
    return run(this.container, ["node", "dist/agent/cli.js", ...args]);
  }

  /** `lastseen-agent job run JOB --state DIR -- CMD...`; the job's output. */
  jobRun(job: string, command: string[]): Promise<string> {
    return this.cli(["job", "run", job, "--state", AGENT_STATE, "--", ...command]);
  }

  async status(): Promise<AgentStatus> {
    return JSON.parse(await this.cli(["status", "--state", AGENT_STATE, "--json"])) as AgentStatus;
  }

  /** Resolves once the agent is connected and its outbox is empty (everything acknowledged). */
  drained(timeoutMs: number): Promise<AgentStatus> {
    return eventually(`${this.name}: outbox drained`, async () => {
      const s = await this.status();
      return s.connected && s.pending === 0 ? s : undefined;
    }, timeoutMs, 500);
  }

  logs(): Promise<string> {
    return logs(this.container);
  }
}
