// What people and scripts read: the --json interface, the table, and the wire body.
import { fileURLToPath } from "node:url";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { scanCommand } from "../../../agent/commands/scan.js";
import { checkKernel } from "../../../agent/probes/kernel/check.js";
import { toScanJson } from "../../../agent/probes/stale-libs/json.js";
import { staleFingerprint, toStaleReport } from "../../../agent/probes/stale-libs/report.js";
import { scanStaleProcesses } from "../../../agent/probes/stale-libs/scanner.js";
import { renderTable } from "../../../agent/probes/stale-libs/table.js";
import { checkBody } from "../../../proto/codec.js";
import { LIMITS } from "../../../proto/limits.js";

const root = fileURLToPath(new URL("../../fixtures/proc/cgroup-v2-debian", import.meta.url));

async function run(opts: Parameters<typeof scanCommand>[0]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  err.on("data", (c: Buffer) => errChunks.push(c));
  const code = await scanCommand(opts, out, err);
  return { code, out: Buffer.concat(chunks).toString("utf8"), err: Buffer.concat(errChunks).toString("utf8") };
}

describe("scan --json", () => {
  it("prints the documented shape with exit code 0", async () => {
    const { code, out } = await run({ json: true, root });
    expect(code).toBe(0);
    const doc = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(["kernel", "processes", "skipped"]);
    expect(doc.kernel).toEqual({ running: "6.1.0-18-amd64", installed: "6.1.0-21-amd64", rebootRequired: true });
    expect(doc.skipped).toEqual({ vanished: 0, denied: 0 });
    const procs = doc.processes as Record<string, unknown>[];
    const cron = procs.find((p) => p.pid === 402)!;
    expect(cron).toMatchObject({ pid: 402, name: "cron", unit: "cron.service", user: "root", deleted: ["/usr/lib/x86_64-linux-gnu/libc.so.6"] });
    const plain = procs.find((p) => p.pid === 5000)!;
    expect(plain.unit).toBeNull();
    for (const p of procs) {
      expect(typeof p.pid).toBe("number");
      expect(typeof p.name).toBe("string");
      expect(p.unit === null || typeof p.unit === "string").toBe(true);
      expect(typeof p.user).toBe("string");
      expect(Array.isArray(p.deleted) && (p.deleted as unknown[]).every((d) => typeof d === "string" && !d.endsWith("(deleted)"))).toBe(true);
    }
    expect(procs.map((p) => p.pid)).toEqual([...procs.map((p) => p.pid as number)].sort((a, b) => a - b));
  });

  it("installed is null when no kernel image is known", () => {
    const result = scanStaleProcesses({ root });
    const json = toScanJson(result, checkKernel(fileURLToPath(new URL("../../fixtures/proc/kernel-container", import.meta.url))));
    expect(json.kernel).toEqual({ running: "6.1.0-21-amd64", installed: null, rebootRequired: false });
  });

  it("exits 1 with the error code on stderr when proc/ is missing", async () => {
    const { code, out, err } = await run({ json: true, root: "/nonexistent-lastseen-root" });
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain("LASTSEEN_ERR_SCAN_PROC_UNAVAILABLE");
    expect(err).toContain("/nonexistent-lastseen-root/proc");
  });
});

describe("scan (table)", () => {
  it("groups by restart target and prints the systemctl line", async () => {
    const { code, out } = await run({ json: false, root });
    expect(code).toBe(0);
    expect(out).toMatch(/^12 processes use deleted libraries or executables, 9 restart targets/);
    expect(out).toContain("1 process in containers or other namespaces not shown (use --containers).");
    // cron's two processes form one group with one command
    const cronBlock = out.slice(out.indexOf("\ncron.service\n"));
    expect(cronBlock.split("\n").slice(0, 8).join("\n")).toMatch(/402 .*\n.*uses deleted .*libc\.so\.6\n.*4711 /);
    expect(out).toContain("  systemctl restart cron.service nginx.service systemd-resolved.service\n");
    expect(out).toContain("  systemctl restart dbus.service    # may end sessions or drop the network\n");
    expect(out).toContain("  systemctl --user -M alice@ restart pipewire.service\n");
    expect(out).toContain("  loginctl terminate-session 3    # or log out and back in\n");
    expect(out).toContain("  systemctl daemon-reexec\n");
    expect(out).toContain("parents: screen (4990)");
    expect(out).toMatch(/650 .*\n +runs deleted executable \/usr\/sbin\/nginx\n/);
    expect(out).toContain("# by hand: backup.sh (5000)");
    expect(out).toContain("Kernel: running 6.1.0-18-amd64, newest installed 6.1.0-21-amd64: reboot required: /run/reboot-required");
  });

  it("says so when nothing is stale", () => {
    const text = renderTable({ processes: [], scanned: 3, vanished: 1, denied: 0, inOtherNamespaces: 0 }, checkKernel(fileURLToPath(new URL("../../fixtures/proc/kernel-debian-current", import.meta.url))), { containers: false });
    expect(text).toBe(
      "No process uses deleted libraries or executables (scanned 3 processes, skipped 1 vanished, 0 unreadable).\n\nKernel: running 6.1.0-21-amd64: no reboot required.\n",
    );
  });
});

describe("StaleReport body", () => {
  const result = scanStaleProcesses({ root });
  const kernel = checkKernel(root);

  it("passes the codec's validation", () => {
    const report = toStaleReport(result, kernel, 1_700_000_000_000);
    expect(() => checkBody({ kind: "staleReport", value: report })).not.toThrow();
    expect(report.processes.find((p) => p.pid === 1120)).toMatchObject({ unit: "user@1000.service", restartKind: "user-unit", user: "alice" });
  });

  it("cuts oversized strings to the protocol limits", () => {
    const big = structuredClone(result);
    big.processes[0]!.cmdline = "x".repeat(LIMITS.maxCmdline + 100);
    big.processes[0]!.deleted = Array.from({ length: LIMITS.maxDeletedPerProcess + 5 }, (_, i) => `/usr/lib/lib${i}.so`);
    const report = toStaleReport(big, kernel, 0);
    expect(report.processes[0]!.cmdline.length).toBe(LIMITS.maxCmdline);
    expect(report.processes[0]!.deleted.length).toBe(LIMITS.maxDeletedPerProcess);
    expect(() => checkBody({ kind: "staleReport", value: report })).not.toThrow();
  });

  it("has a fingerprint that ignores scan time and skip counts but not findings", () => {
    const a = staleFingerprint(toStaleReport(result, kernel, 1));
    const b = staleFingerprint(toStaleReport({ ...result, scanned: 999, vanished: 3, denied: 2 }, kernel, 2));
    expect(b).toBe(a);
    const fewer = staleFingerprint(toStaleReport({ ...result, processes: result.processes.slice(1) }, kernel, 1));
    expect(fewer).not.toBe(a);
    const rebooted = staleFingerprint(toStaleReport(result, { ...kernel, rebootRequired: false, reason: "", reasons: [] }, 1));
    expect(rebooted).not.toBe(a);
    const reordered = staleFingerprint(toStaleReport({ ...result, processes: [...result.processes].reverse() }, kernel, 1));
    expect(reordered).toBe(a);
  });
});
