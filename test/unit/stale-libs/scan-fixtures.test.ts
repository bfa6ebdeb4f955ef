// The scanner against fixture /proc trees (through the root seam): cgroup v1 and v2, sessions,
// user managers, containers, rpm and dpkg suffixes, and the default ignore list.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ProcSource } from "../../../agent/probes/stale-libs/proc-source.js";
import { createFsProcSource } from "../../../agent/probes/stale-libs/proc-source.js";
import type { StaleProcessInfo } from "../../../agent/probes/stale-libs/scanner.js";
import { scanStaleProcesses } from "../../../agent/probes/stale-libs/scanner.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/proc/${name}`, import.meta.url));
const byPid = (ps: StaleProcessInfo[]): Map<number, StaleProcessInfo> => new Map(ps.map((p) => [p.pid, p]));
const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

describe("cgroup v2 host (Debian, systemd)", () => {
  const result = scanStaleProcesses({ root: fixture("cgroup-v2-debian") });
  const ps = byPid(result.processes);

  it("finds exactly the processes running package code from deleted files", () => {
    expect([...ps.keys()]).toEqual([1, 310, 402, 650, 651, 700, 1100, 1120, 1201, 1210, 4711, 5000]);
    expect(result.scanned).toBe(20); // every pid directory, kernel threads included
    expect(result.vanished).toBe(0);
    expect(result.denied).toBe(0);
  });

  it("reports paths without the marker, de-duplicated over the r/x/w mappings", () => {
    expect(ps.get(402)!.deleted).toEqual([LIBC]);
    expect(ps.get(1)!.deleted).toEqual([LIBC, "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so"]);
  });

  it("leaves out memfd, /dev/shm, SYSV, /tmp, /run, DRM, AIO, JIT, JNA and data-only mappings", () => {
    for (const pid of [2000, 2001, 2002]) expect(ps.has(pid)).toBe(false);
  });

  it("reports a deleted executable", () => {
    expect(ps.get(650)).toMatchObject({ deleted: ["/usr/sbin/nginx"], exeDeleted: true, user: "root" });
    expect(ps.get(651)).toMatchObject({ exeDeleted: true, user: "www-data" });
  });

  it("attributes system services, PID 1, sessions, the user manager and user units", () => {
    expect(ps.get(402)!.target).toMatchObject({ kind: "unit", unit: "cron.service", command: "systemctl restart cron.service" });
    expect(ps.get(4711)!.target.key).toBe(ps.get(402)!.target.key);
    expect(ps.get(310)).toMatchObject({ user: "messagebus", target: { unit: "dbus.service" } });
    expect(ps.get(1)!.target).toMatchObject({ kind: "manager", command: "systemctl daemon-reexec" });
    expect(ps.get(1201)!.target).toMatchObject({ kind: "session", unit: "session-3.scope" });
    expect(ps.get(1201)!.user).toBe("alice");
    expect(ps.get(1100)!.target).toMatchObject({ kind: "manager", unit: "user@1000.service", command: "systemctl --user -M alice@ daemon-reexec" });
    expect(ps.get(1120)!.target).toMatchObject({ kind: "user-unit", unit: "user@1000.service", command: "systemctl --user -M alice@ restart pipewire.service" });
  });

  it("counts a sandboxed service (own mount namespace) as the host", () => {
    expect(ps.get(700)).toMatchObject({ container: null, target: { unit: "systemd-resolved.service" } });
  });

  it("gives a plain process its parent chain", () => {
    expect(ps.get(5000)).toMatchObject({ ppid: 4990, cmdline: "/bin/bash /usr/local/bin/backup.sh", target: { kind: "process" } });
    expect(ps.get(5000)!.parents).toEqual([{ pid: 4990, name: "screen" }]);
  });

  it("computes the start time from btime and field 22 at 100 ticks per second", () => {
    expect(ps.get(4711)!.startedAtMs).toBe(1764000000 * 1000 + 500000 * 10);
  });

  it("hides container processes by default and counts them", () => {
    expect(ps.has(3000)).toBe(false);
    expect(result.inOtherNamespaces).toBe(1);
  });

  it("reports container processes when asked, named from the cgroup", () => {
    const withContainers = byPid(scanStaleProcesses({ root: fixture("cgroup-v2-debian"), containers: true }).processes);
    expect(withContainers.get(3000)).toMatchObject({ container: "docker:3f2a1b0c9d8e", target: { kind: "container", command: "docker restart 3f2a1b0c9d8e", unit: null } });
  });

  it("honours the user's extra ignore patterns", () => {
    const r = scanStaleProcesses({ root: fixture("cgroup-v2-debian"), ignore: ["/usr/sbin/nginx", "re:libsystemd-shared"] });
    const got = byPid(r.processes);
    expect(got.has(650)).toBe(false);
    expect(got.get(1)!.deleted).toEqual([LIBC]);
  });
});

describe("cgroup v1 and hybrid host (Rocky Linux, rpm)", () => {
  const ps = byPid(scanStaleProcesses({ root: fixture("cgroup-v1-rhel") }).processes);

  it("strips rpm's ;hex suffix and dpkg's .dpkg-new", () => {
    expect(ps.get(900)!.deleted).toEqual(["/usr/lib64/libcrypto.so.3.0.7", "/usr/lib64/libssl.so.3.0.7"]);
    expect(ps.get(960)!.deleted).toEqual(["/usr/lib64/libc.so.6"]);
  });

  it("finds the unit in name=systemd (v1) and in the hybrid layout", () => {
    expect(ps.get(900)).toMatchObject({ user: "apache", target: { unit: "httpd.service" } });
    expect(ps.get(950)!.target.unit).toBe("sshd.service");
    expect(ps.get(960)!.target.unit).toBe("getty@tty1.service");
    expect(ps.has(1)).toBe(false);
  });
});

describe("containers", () => {
  it("reports none of them by default", () => {
    const r = scanStaleProcesses({ root: fixture("containers") });
    expect(r.processes.map((p) => p.pid)).toEqual([100]);
    expect(r.inOtherNamespaces).toBe(6);
  });

  it("names each one with container reporting on", () => {
    const ps = byPid(scanStaleProcesses({ root: fixture("containers"), containers: true }).processes);
    expect(ps.get(1001)!.container).toBe("docker:0123456789ab");
    expect(ps.get(1002)).toMatchObject({ container: "podman:abcdefabcdef", target: { command: "podman restart abcdefabcdef" } });
    expect(ps.get(1003)!.container).toBe("lxc:web");
    expect(ps.get(1004)!.container).toBe("machine:build-box");
    expect(ps.get(1005)!.container).toBe("pidns:4026532800");
    expect(ps.get(1006)!.container).toBe("mntns:4026532900");
    expect(ps.get(100)!.container).toBeNull();
  });
});

describe("races and permissions (through the ProcSource seam)", () => {
  /** Wraps the fixture source so that some files fail as on a live host. */
  function failing(base: ProcSource, failures: Record<string, string>): ProcSource {
    const fail = (rel: string): void => {
      const code = failures[rel];
      if (code) throw Object.assign(new Error(`${code}: ${rel}`), { code });
    };
    return {
      ...base,
      listPids: () => base.listPids(),
      readProc: (rel) => (fail(rel), base.readProc(rel)),
      readProcText: (rel) => (fail(rel), base.readProcText(rel)),
      readProcLink: (rel) => (fail(rel), base.readProcLink(rel)),
      readHostText: (rel) => base.readHostText(rel),
    };
  }

  it("counts a process whose maps vanished, one that vanished during attribution, and unreadable ones", () => {
    const base = createFsProcSource(fixture("cgroup-v2-debian"));
    const r = scanStaleProcesses({
      source: failing(base, {
        "402/maps": "ENOENT",
        "4711/cgroup": "ESRCH",
        "650/maps": "EACCES",
        "651/exe": "EPERM",
        "1201/maps": "EIO",
      }),
    });
    const pids = r.processes.map((p) => p.pid);
    for (const pid of [402, 4711, 650, 651, 1201]) expect(pids).not.toContain(pid);
    expect(r.vanished).toBe(2);
    expect(r.denied).toBe(3);
    expect(pids).toContain(1210);
  });

  it("falls back to the scanner's own namespaces when PID 1's may not be read", () => {
    const base = createFsProcSource(fixture("cgroup-v2-debian"));
    const r = scanStaleProcesses({ source: failing(base, { "1/ns/pid": "EACCES", "self/ns/pid": "ENOENT" }) });
    // No reference at all: every process counts as the host, so the container shows.
    expect(r.processes.map((p) => p.pid)).toContain(3000);
  });

  it("rethrows what is not an fs error", () => {
    const base = createFsProcSource(fixture("cgroup-v2-debian"));
    const broken: ProcSource = {
      ...base,
      listPids: () => base.listPids(),
      readProc: () => {
        throw new TypeError("bug");
      },
    };
    expect(() => scanStaleProcesses({ source: broken })).toThrow(TypeError);
  });

  it("fails with a stable code when proc/ cannot be listed", () => {
    expect(() => scanStaleProcesses({ root: fixture("does-not-exist") })).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_SCAN_PROC_UNAVAILABLE" }));
  });
});
