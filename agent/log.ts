// pino logger for the agent: JSON lines, pretty when stderr is a terminal. Tokens are redacted.
import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, opts: { pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stderr.isTTY;
  return pino({
    name: "lastseen-agent",
    level,
    redact: { paths: ["token", "*.token", "authorization", "*.authorization"], censor: "[redacted]" },
    transport: pretty ? { target: "pino-pretty", options: { destination: 2, translateTime: "SYS:HH:MM:ss.l" } } : undefined,
  }, pretty ? undefined : pino.destination(2));
}
