// One agent per state directory: <state>/agent.pid, created exclusively. A lock whose process is
// gone (crash, kill -9) is taken over.
import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { AgentError } from "./errors.js";

export function acquireStateLock(stateDir: string): () => void {
  const file = join(stateDir, "agent.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (readPid(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new AgentError("LASTSEEN_ERR_STATE_DIR", `cannot create ${file}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
      }
      const pid = readPid(file);
      if (pid !== null && pid !== process.pid && alive(pid)) {
        throw new AgentError("LASTSEEN_ERR_STATE_LOCKED", `another agent (pid ${pid}) already runs with the state directory ${stateDir}`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new AgentError("LASTSEEN_ERR_STATE_LOCKED", `cannot take the lock ${file}`);
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isSafeInteger(n) && n > 0 ? n : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
