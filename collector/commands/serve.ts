// `lastseen serve`: runs the collector in the foreground until SIGTERM/SIGINT; SIGHUP reloads TLS.
import { loadCollectorConfig } from "../config.js";
import { createLogger } from "../log.js";
import { startCollector } from "../app.js";

export interface ServeFlags {
  config?: string;
  listen?: string;
  data?: string;
  logLevel?: string;
}

export async function serveCommand(flags: ServeFlags): Promise<void> {
  const config = loadCollectorConfig({
    file: flags.config ?? process.env.LASTSEEN_CONFIG,
    env: process.env,
    flags: { listen: flags.listen, data: flags.data, log_level: flags.logLevel },
  });
  const log = createLogger(config.log_level);
  const collector = await startCollector(config, { log });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping");
      process.off("SIGHUP", hup);
      collector.stop().then(resolve, (err: unknown) => {
        log.error({ err }, "error while stopping");
        resolve();
      });
    };
    const hup = () => collector.reload();
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", hup);
  });
  log.flush?.();
}
