// Exit codes of the `lastseen` CLI (docs/cli.md): 0 ok, 1 not found / failed, 2 usage or config
// error, 3 collector unreachable, 4 not authorized.
import { ConfigError } from "../../proto/config-source.js";
import { CollectorError } from "../errors.js";

export function exitCodeOf(err: unknown): number {
  if (err instanceof ConfigError) return 2;
  if (!(err instanceof CollectorError)) return 1;
  switch (err.code) {
    case "LASTSEEN_ERR_UNREACHABLE": return 3;
    case "LASTSEEN_ERR_UNAUTHORIZED": return 4;
    case "LASTSEEN_ERR_CONFIG":
    case "LASTSEEN_ERR_BAD_NAME":
    case "LASTSEEN_ERR_BAD_REQUEST": return 2;
    default: return 1;
  }
}

/** Runs a command action: prints a failure as one clear line on stderr and sets the exit code. */
export async function runAction(fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    if (typeof code === "number") process.exitCode = code;
  } catch (err) {
    const code = (err as { code?: string }).code;
    process.stderr.write(`lastseen: ${(err as Error).message}${code?.startsWith("LASTSEEN_ERR") ? ` [${code}]` : ""}\n`);
    if (!(err instanceof CollectorError) && !(err instanceof ConfigError) && process.env.LASTSEEN_DEBUG) {
      process.stderr.write(`${(err as Error).stack}\n`);
    }
    process.exitCode = exitCodeOf(err);
  }
}
