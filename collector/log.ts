// pino logger: JSON lines, pretty when stderr is a terminal. Secrets are redacted by path.
import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, opts: { pretty?: boolean; name?: string } = {}): Logger {
  const pretty = opts.pretty ?? process.stderr.isTTY;
  return pino({
    name: opts.name ?? "lastseen",
    level,
    redact: { paths: ["token", "*.token", "authorization", "*.authorization", "headers.authorization", "password", "*.password", "secret", "*.secret"], censor: "[redacted]" },
    transport: pretty ? { target: "pino-pretty", options: { destination: 2, translateTime: "SYS:HH:MM:ss.l" } } : undefined,
  }, pretty ? undefined : pino.destination(2));
}
