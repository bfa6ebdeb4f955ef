// Real job events, written into an agent's spool exactly as `lastseen-agent job ...` does.
import { randomUUID } from "node:crypto";
import { spoolEvent } from "../../agent/spool.js";
import type { AgentBody } from "../../proto/types.js";

export function jobEnd(job: string, i: number): AgentBody {
  const t = Date.now();
  return {
    kind: "jobEvent",
    value: { job, runId: randomUUID(), phase: "end", startedAtMs: t - 1000, endedAtMs: t, exitCode: 0, signal: "", outputTail: `run ${i}`, message: "", pid: 0 },
  };
}

/** Spools n job events (in parallel chunks); returns their event ids. */
export async function spoolJobEvents(stateDir: string, n: number, job = "burst"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 200) {
    const chunk = Array.from({ length: Math.min(200, n - i) }, (_, k) => spoolEvent(stateDir, jobEnd(job, i + k)));
    ids.push(...(await Promise.all(chunk)));
  }
  return ids;
}
