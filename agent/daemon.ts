// `lastseen-agent run`: outbox, spool intake, control socket, probes and the transport, wired
// together; stops cleanly on SIGTERM/SIGINT.
import { readFileSync, watch, type FSWatcher } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { Server } from "node:net";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Welcome } from "../proto/types.js";
import { agentUrl, resolveToken, type AgentConfig } from "./config.js";
import { startControlServer, type ControlRequest } from "./control.js";
import { AgentError } from "./errors.js";
import { hostInfo } from "./host-info.js";
import { Outbox } from "./outbox/outbox.js";
import { ProbeRunner } from "./probe-runner.js";
import { buildProbes } from "./probes/index.js";
import { drainSpool, spoolDir } from "./spool.js";
import { acquireStateLock } from "./state-lock.js";
import { Transport } from "./transport.js";
import { VERSION } from "../proto/version.js";

export interface RunningAgent {
  readonly outbox: Outbox;
  readonly transport: Transport;
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, log: Logger): Promise<RunningAgent> {
  if (!config.collector) {
    throw new AgentError("LASTSEEN_ERR_CONFIG", "no collector URL: give --collector ws://HOST:PORT, LASTSEEN_COLLECTOR, or collector in the config file");
  }
  const token = resolveToken(config);
  const ca = config.ca_file ? readCa(config.ca_file) : undefined;
  const state = config.state;
  await mkdir(state, { recursive: true, mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    throw new AgentError("LASTSEEN_ERR_STATE_DIR", `cannot create the state directory ${state}: ${err.code}`, { cause: err });
  });
  const release = acquireStateLock(state);
  const outbox = await Outbox.open(join(state, "outbox"), { maxBytes: config.outbox.max_bytes, log });

  let draining: Promise<number> | null = null;
  let drainAgain = false;
  const drain = (): Promise<number> => {
    if (draining) {
      // Files may have arrived after this drain listed the directory: look again when it ends.
      drainAgain = true;
      return draining;
    }
    draining = drainSpool(state, (e) => outbox.append(e), log)
      .then((n) => {
        if (n > 0) log.info({ events: n }, "took events from the spool");
        return n;
      })
      .finally(() => {
        draining = null;
        if (drainAgain && !stopping) {
          drainAgain = false;
          void drain().catch((err: unknown) => log.error({ err }, "spool intake failed"));
        }
      });
    return draining;
  };
  let stopping = false;
  await drain();
  await mkdir(spoolDir(state), { recursive: true, mode: 0o755 });
  // New spool files are noticed by the watcher, a poke on the control socket, or the poll.
  const spoolWatcher: FSWatcher = watch(spoolDir(state), (_e, name) => {
    if (name?.endsWith(".evt")) void drain().catch((err: unknown) => log.error({ err }, "spool intake failed"));
  });
  spoolWatcher.on("error", (err) => log.warn({ err }, "spool watcher failed; polling only"));
  const spoolPoll = setInterval(() => void drain().catch((err: unknown) => log.error({ err }, "spool intake failed")), 5000);

  const transport = new Transport({
    url: agentUrl(config.collector), token, ca, heartbeatMs: config.heartbeat, outbox, log,
    hello: () => {
      const h = hostInfo();
      return {
        agentVersion: VERSION, hostname: h.hostname, bootId: h.bootId, kernelRelease: h.kernelRelease, osPrettyName: h.osPrettyName,
        // A cron expression is meant in this host's local time unless a zone is given.
        jobs: config.jobs.map((j) => ({
          job: j.job, every: j.every ?? "", cron: j.cron ?? "", timezone: j.timezone ?? (j.cron ? localTimeZone() : ""),
          grace: j.grace ?? "", maxRuntime: j.max_runtime ?? "",
        })),
      };
    },
    uptimeS: () => hostInfo().uptimeS,
  });
  let welcome: Welcome | null = null;
  transport.on("welcome", (w) => {
    const news = welcome?.stunPort !== w.stunPort || welcome?.observedAddress !== w.observedAddress;
    welcome = w;
    // The first Welcome (or one from another path) says where the collector's STUN responder
    // is and which address it sees: learn the public address now, not at the next interval.
    if (news && runner.has("public-ip")) runner.trigger("public-ip", 500);
  });

  const runner = new ProbeRunner({ stateDir: state, log, append: (e) => outbox.append(e) });
  for (const probe of buildProbes(config, { collectorUrl: config.collector, welcome: () => welcome })) await runner.add(probe);

  const control: Server = await startControlServer(state, async (req: ControlRequest) => {
    switch (req.op) {
      case "drain-spool": return { moved: await drain() };
      case "trigger":
        if (!runner.has(req.probe)) throw new AgentError("LASTSEEN_ERR_CONTROL", `no probe named ${req.probe} runs in this agent`);
        await runner.collectNow(req.probe);
        return { triggered: req.probe };
      case "status":
        return { version: VERSION, connected: transport.connected, pending: outbox.pending, dropped: outbox.dropped, acked: outbox.ackedSeq, head: outbox.headSeq };
      default:
        throw new AgentError("LASTSEEN_ERR_CONTROL", `unknown request ${(req as { op: string }).op}`);
    }
  }, log);

  transport.start();
  log.info({ collector: config.collector, state, version: VERSION }, "agent started");

  return {
    outbox, transport,
    stop: async () => {
      stopping = true;
      clearInterval(spoolPoll);
      spoolWatcher.close();
      await new Promise<void>((r) => control.close(() => r()));
      await runner.stop();
      await draining;
      await transport.stop();
      await outbox.close();
      release();
      log.info("agent stopped");
    },
  };
}

function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new AgentError("LASTSEEN_ERR_TLS", `cannot read ca_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}
