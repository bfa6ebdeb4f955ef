// The `emit` of one-shot commands (`lastseen-agent job ...`): spool the event durably in the
// state directory, then ask a running agent to take it now. When no agent runs (or it does not
// answer), the event waits in the spool until one does; that is not an error.
import type { AgentBody } from "../../proto/types.js";
import { requestAgent } from "../control.js";
import { spoolEvent } from "../spool.js";

export function spoolEmitter(stateDir: string, warn: (msg: string) => void = (m) => process.stderr.write(m)) {
  return async (body: AgentBody): Promise<void> => {
    await spoolEvent(stateDir, body);
    try {
      await requestAgent(stateDir, { op: "drain-spool" }, 10_000);
    } catch (err) {
      warn(`lastseen-agent: event spooled in ${stateDir}; the agent did not take it now (${(err as Error).message}); it will later\n`);
    }
  };
}
