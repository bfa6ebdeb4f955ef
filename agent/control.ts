// The agent's control socket (<state>/agent.sock, mode 0660): how local commands ask the running
// agent for something — take spooled events now, scan now, report status. One JSON line in, one
// JSON line out. Nothing here can make the agent run a command.
import { rmSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { AgentError } from "./errors.js";

export type ControlRequest = { op: "drain-spool" } | { op: "trigger"; probe: string } | { op: "status" };
export type ControlResponse = { ok: true; data?: unknown } | { ok: false; error: string };

export const controlPath = (stateDir: string) => join(stateDir, "agent.sock");

export async function startControlServer(
  stateDir: string,
  handle: (req: ControlRequest) => Promise<unknown>,
  log: Logger,
): Promise<Server> {
  const path = controlPath(stateDir);
  // A socket file left by a crashed agent (the state lock guarantees no other agent runs).
  rmSync(path, { force: true });
  const server = createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.setTimeout(5000, () => sock.destroy());
    sock.on("error", (err) => log.debug({ err }, "control connection error"));
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > 4096) return void sock.destroy();
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      let req: ControlRequest;
      try {
        req = JSON.parse(line) as ControlRequest;
      } catch {
        return void sock.end(JSON.stringify({ ok: false, error: "not JSON" }) + "\n");
      }
      handle(req).then(
        (data) => sock.end(JSON.stringify({ ok: true, data }) + "\n"),
        (err: Error) => sock.end(JSON.stringify({ ok: false, error: err.message }) + "\n"),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new AgentError("LASTSEEN_ERR_CONTROL", `cannot listen on ${path}: ${(err as NodeJS.ErrnoException).code}`, { cause: err })));
    server.listen(path, resolve);
  });
  await chmod(path, 0o660);
  return server;
}

/**
 * Sends one request to the running agent. Resolves with null when no agent is listening (the
 * socket does not exist or nobody accepts), so callers can fall back quietly.
 */
export function requestAgent(stateDir: string, req: ControlRequest, timeoutMs = 5000): Promise<ControlResponse | null> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(controlPath(stateDir));
    let buf = "";
    sock.setEncoding("utf8");
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new AgentError("LASTSEEN_ERR_CONTROL", `the agent did not answer on ${controlPath(stateDir)} within ${timeoutMs} ms`));
    });
    sock.on("connect", () => sock.write(JSON.stringify(req) + "\n"));
    sock.on("data", (c: string) => { buf += c; });
    sock.on("end", () => {
      try {
        resolve(JSON.parse(buf) as ControlResponse);
      } catch {
        reject(new AgentError("LASTSEEN_ERR_CONTROL", `unreadable answer from the agent on ${controlPath(stateDir)}`));
      }
    });
    sock.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ECONNREFUSED") resolve(null);
      else reject(new AgentError("LASTSEEN_ERR_CONTROL", `cannot reach the agent on ${controlPath(stateDir)}: ${err.code}`, { cause: err }));
    });
  });
}
