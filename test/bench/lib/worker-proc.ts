// A benchmark's helper process with an IPC channel: send a message, wait for a reply of a given
// type; an "error" reply or the process exiting fails the wait with what happened.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { spawnNode, type SpawnPlan } from "./children.js";

export class WorkerProc<In extends { type: string }, Out extends { type: string }> {
  readonly child: ChildProcess;
  private readonly inbox: Out[] = [];
  private waiter: (() => void) | null = null;
  private exitedWith: string | null = null;

  constructor(script: string, plan: SpawnPlan, readonly label: string) {
    this.child = spawnNode(join(import.meta.dirname, script), [], plan, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m: Out) => {
      this.inbox.push(m);
      this.waiter?.();
    });
    this.child.on("exit", (code, signal) => {
      this.exitedWith = `${label} (pid ${this.child.pid}) exited with ${code ?? signal}`;
      this.waiter?.();
    });
  }

  send(msg: In): void {
    this.child.send(msg);
  }

  async next<T extends Out["type"]>(type: T, timeoutMs = 600_000): Promise<Extract<Out, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === "error");
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0]!;
        if (m.type === "error") throw new Error(`${this.label}: ${(m as unknown as { message: string }).message}`);
        return m as Extract<Out, { type: T }>;
      }
      if (this.exitedWith) throw new Error(`${this.exitedWith} while the benchmark waited for "${type}"`);
      if (Date.now() > deadline) throw new Error(`${this.label}: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Closes the IPC channel: the worker exits on 'disconnect'. */
  disconnect(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
