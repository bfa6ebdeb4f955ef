// Runs an agent command action: a failure becomes one clear line on stderr and an exit code
// (2 for configuration errors, 1 otherwise).
import { ConfigError } from "../../proto/config-source.js";
import { AgentError } from "../errors.js";

export async function runAction(fn: () => Promise<number | void>): Promise<void> {
  try {
    const code = await fn();
    if (typeof code === "number") process.exitCode = code;
  } catch (err) {
    const code = (err as { code?: string }).code;
    process.stderr.write(`lastseen-agent: ${(err as Error).message}${code?.startsWith("LASTSEEN_ERR") ? ` [${code}]` : ""}\n`);
    if (!(err instanceof AgentError) && !(err instanceof ConfigError) && process.env.LASTSEEN_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = err instanceof ConfigError || code === "LASTSEEN_ERR_CONFIG" ? 2 : 1;
  }
}
