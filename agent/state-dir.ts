// Where the agent keeps its state (outbox, spool, control socket), when not configured.
import { homedir } from "node:os";
import { join } from "node:path";

/** LASTSEEN_STATE, else /var/lib/lastseen-agent for root, ~/.local/state/lastseen-agent otherwise. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LASTSEEN_STATE) return env.LASTSEEN_STATE;
  if (process.getuid?.() === 0) return "/var/lib/lastseen-agent";
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "lastseen-agent");
}
