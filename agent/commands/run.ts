// `lastseen-agent run`: the daemon, in the foreground until SIGTERM/SIGINT.
import { loadAgentConfig } from "../config.js";
import { startAgent } from "../daemon.js";
import { createLogger } from "../log.js";

export interface RunFlags {
  config?: string;
  collector?: string;
  token?: string;
  tokenFile?: string;
  state?: string;
  heartbeat?: string;
  caFile?: string;
  logLevel?: string;
}

export async function runCommand(flags: RunFlags): Promise<void> {
  const config = loadAgentConfig({
    file: flags.config ?? process.env.LASTSEEN_AGENT_CONFIG,
    env: process.env,
    flags: {
      collector: flags.collector, token: flags.token, token_file: flags.tokenFile, state: flags.state,
      heartbeat: flags.heartbeat, ca_file: flags.caFile, log_level: flags.logLevel,
    },
  });
  const log = createLogger(config.log_level);
  const agent = await startAgent(config, log);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping");
      agent.stop().then(resolve, (err: unknown) => {
        log.error({ err }, "error while stopping");
        resolve();
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
