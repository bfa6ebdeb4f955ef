// `lastseen-agent trigger PROBE` (used by package-manager hooks) and `lastseen-agent status`.
// Both ask the running agent over its control socket; no agent running is not an error for
// trigger (a hook must never fail a package transaction).
import { defaultStateDir } from "../state-dir.js";
import { requestAgent } from "../control.js";

const PROBE_ALIASES: Record<string, string> = { scan: "stale-libs", "stale-libs": "stale-libs", ip: "public-ip", "public-ip": "public-ip" };

export async function triggerCommand(what: string, o: { state?: string }, out: NodeJS.WritableStream): Promise<number> {
  const probe = PROBE_ALIASES[what] ?? what;
  const res = await requestAgent(o.state ?? defaultStateDir(), { op: "trigger", probe }, 120_000);
  if (res === null) {
    out.write("no agent is running here; nothing to do\n");
    return 0;
  }
  if (!res.ok) {
    process.stderr.write(`lastseen-agent: ${res.error}\n`);
    return 1;
  }
  out.write(`${probe}: done\n`);
  return 0;
}

export async function statusCommand(o: { state?: string; json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const state = o.state ?? defaultStateDir();
  const res = await requestAgent(state, { op: "status" });
  if (res === null) {
    out.write(o.json ? JSON.stringify({ running: false }) + "\n" : `no agent is running with the state directory ${state}\n`);
    return 3;
  }
  if (!res.ok) {
    process.stderr.write(`lastseen-agent: ${res.error}\n`);
    return 1;
  }
  const s = res.data as { version: string; connected: boolean; pending: number; dropped: number };
  out.write(o.json ? JSON.stringify({ running: true, ...s }) + "\n"
    : `agent ${s.version}: ${s.connected ? "connected" : "not connected"}, ${s.pending} events pending, ${s.dropped} dropped\n`);
  return 0;
}
