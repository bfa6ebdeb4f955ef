import { describe, expect, it } from "vitest";
import { parseCgroup, placementOf } from "../../../agent/probes/stale-libs/cgroup.js";
import { containerFromCgroup } from "../../../agent/probes/stale-libs/container.js";
import { namespaceVerdict } from "../../../agent/probes/stale-libs/namespaces.js";
import { restartTarget } from "../../../agent/probes/stale-libs/restart-target.js";

describe("parseCgroup", () => {
  it("reads the unified line on cgroup v2", () => {
    expect(parseCgroup("0::/system.slice/cron.service\n").systemdPath).toBe("/system.slice/cron.service");
  });
  it("reads name=systemd on cgroup v1, and prefers it on hybrid hosts", () => {
    expect(parseCgroup("11:memory:/system.slice/httpd.service\n1:name=systemd:/system.slice/httpd.service\n").systemdPath).toBe("/system.slice/httpd.service");
    expect(parseCgroup("1:name=systemd:/system.slice/a.service\n0::/\n").systemdPath).toBe("/system.slice/a.service");
  });
  it("collects every path for container naming", () => {
    expect(parseCgroup("13:cpuset:/docker/abc\n0::/\n").allPaths).toEqual(["/docker/abc", "/"]);
  });
});

describe("placementOf", () => {
  it.each([
    ["/system.slice/cron.service", { kind: "system-unit", unit: "cron.service" }],
    ["/system.slice/system-getty.slice/getty@tty1.service", { kind: "system-unit", unit: "getty@tty1.service" }],
    ["/system.slice/docker.service/some/sub/cgroup", { kind: "system-unit", unit: "docker.service" }],
    ["/init.scope", { kind: "manager" }],
    ["/user.slice/user-1000.slice/user@1000.service/init.scope", { kind: "user-manager", uid: 1000, manager: "user@1000.service" }],
    ["/user.slice/user-1000.slice/user@1000.service/session.slice/pipewire.service", { kind: "user-unit", uid: 1000, manager: "user@1000.service", unit: "pipewire.service" }],
    ["/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-123.scope", { kind: "scope", unit: "app-firefox-123.scope" }],
    ["/user.slice/user-1000.slice/session-3.scope", { kind: "session", uid: 1000, session: "3", unit: "session-3.scope" }],
    ["/user.slice/user-0.slice/session-c1.scope", { kind: "session", uid: 0, session: "c1", unit: "session-c1.scope" }],
    ["/system.slice/run-u12.scope", { kind: "scope", unit: "run-u12.scope" }],
    ["/", { kind: "none" }],
    ["", { kind: "none" }],
    ["/docker/0123456789ab", { kind: "none" }],
  ])("%s", (path, expected) => expect(placementOf(path)).toEqual(expected));
});

describe("containerFromCgroup", () => {
  const id64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  it.each([
    [`/system.slice/docker-${id64}.scope`, { runtime: "docker", id: "0123456789ab" }],
    [`/docker/${id64}`, { runtime: "docker", id: "0123456789ab" }],
    [`/machine.slice/libpod-${id64}.scope/container`, { runtime: "podman", id: "0123456789ab" }],
    [`/system.slice/cri-containerd-${id64}.scope`, { runtime: "containerd", id: "0123456789ab" }],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/crio-${id64}.scope`, { runtime: "cri-o", id: "0123456789ab" }],
    ["/lxc.payload.web/system.slice/cron.service", { runtime: "lxc", id: "web" }],
    ["/lxc/db", { runtime: "lxc", id: "db" }],
    ["/machine.slice/machine-build\\x2dbox.scope/payload", { runtime: "machine", id: "build-box" }],
    ["/machine.slice/systemd-nspawn@deb.service/payload", { runtime: "machine", id: "deb" }],
  ])("%s", (path, expected) => expect(containerFromCgroup([path])).toEqual(expected));

  it("returns null for host paths", () => {
    expect(containerFromCgroup(["/system.slice/cron.service", "/"])).toBeNull();
  });
});

describe("namespaceVerdict", () => {
  const host = { pid: "pid:[1]", mnt: "mnt:[2]" };
  const none = { kind: "none" } as const;
  it("another PID namespace is foreign", () => {
    expect(namespaceVerdict({ pid: "pid:[9]", mnt: "mnt:[2]" }, host, none)).toEqual({ foreign: true, fallbackId: "pidns:9", runtime: "namespace" });
  });
  it("a sandboxed service (own mount namespace) is the host", () => {
    expect(namespaceVerdict({ pid: "pid:[1]", mnt: "mnt:[7]" }, host, { kind: "system-unit", unit: "x.service" })).toEqual({ foreign: false });
  });
  it("a plain process with its own mount namespace is foreign", () => {
    expect(namespaceVerdict({ pid: "pid:[1]", mnt: "mnt:[7]" }, host, none).foreign).toBe(true);
  });
  it("unknown links or reference mean the host", () => {
    expect(namespaceVerdict({ pid: null, mnt: null }, host, none)).toEqual({ foreign: false });
    expect(namespaceVerdict({ pid: "pid:[9]", mnt: "mnt:[9]" }, null, none)).toEqual({ foreign: false });
  });
});

describe("restartTarget", () => {
  const base = { pid: 42, name: "x", user: "alice", container: null };
  it("system unit", () => {
    expect(restartTarget({ ...base, placement: { kind: "system-unit", unit: "cron.service" } })).toMatchObject({ kind: "unit", unit: "cron.service", command: "systemctl restart cron.service" });
  });
  it("user unit names the manager as unit and restarts the user's unit", () => {
    expect(restartTarget({ ...base, placement: { kind: "user-unit", uid: 1000, manager: "user@1000.service", unit: "pipewire.service" } })).toMatchObject({
      kind: "user-unit",
      unit: "user@1000.service",
      userUnit: "pipewire.service",
      command: "systemctl --user -M alice@ restart pipewire.service",
    });
  });
  it("session", () => {
    expect(restartTarget({ ...base, placement: { kind: "session", uid: 1000, session: "3", unit: "session-3.scope" } })).toMatchObject({ kind: "session", unit: "session-3.scope", command: "loginctl terminate-session 3" });
  });
  it("container beats placement", () => {
    expect(restartTarget({ ...base, placement: { kind: "system-unit", unit: "cron.service" }, container: { runtime: "docker", id: "0123456789ab" } })).toMatchObject({
      kind: "container",
      unit: null,
      command: "docker restart 0123456789ab",
    });
  });
  it("plain process: by hand, one group per process", () => {
    expect(restartTarget({ ...base, placement: { kind: "none" } })).toMatchObject({ kind: "process", unit: null, command: "", key: "process:42" });
  });
});
