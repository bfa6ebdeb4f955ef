// Running kernel against installed kernels, per distribution family, on fixture roots.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkKernel } from "../../../agent/probes/kernel/check.js";
import { kernelPackageVersions } from "../../../agent/probes/kernel/dpkg-status.js";
import { flavourOf } from "../../../agent/probes/kernel/flavour.js";
import { familyOf, parseOsRelease } from "../../../agent/probes/kernel/os-release.js";
import { compareVersions, newest } from "../../../agent/probes/kernel/version-compare.js";

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/proc/${name}`, import.meta.url));

describe("compareVersions", () => {
  it.each([
    ["6.1.0-18-amd64", "6.1.0-21-amd64", -1],
    ["6.1.0-21-amd64", "6.1.0-18-amd64", 1],
    ["6.10.3-200.fc40.x86_64", "6.9.12-200.fc40.x86_64", 1],
    ["5.14.0-362.8.1.el9_3.x86_64", "5.14.0-362.13.1.el9_3.x86_64", -1],
    ["6.7.4-arch1-1", "6.7.5-arch1-1", -1],
    ["6.7.4-arch1-1", "6.7.4-arch2-1", -1],
    ["5.15.0-91-generic", "5.15.0-101-generic", -1],
    ["6.1.76-1", "6.1.85-1", -1],
    ["14~22.04.1", "14~22.04.2", -1],
    ["6.1~rc5", "6.1", -1],
    ["6.1.0-0.deb11.17-amd64", "6.1.0-18-amd64", -1],
    ["1.0", "1.0", 0],
    ["007", "7", 0],
  ])("%s vs %s", (a, b, sign) => expect(Math.sign(compareVersions(a, b))).toBe(sign));

  it("picks the newest", () => {
    expect(newest(["6.9.12", "6.10.3", "6.10.1"])).toBe("6.10.3");
    expect(newest([])).toBeNull();
  });
});

describe("flavourOf", () => {
  it.each([
    ["6.1.0-21-amd64", "amd64"],
    ["6.1.0-21-cloud-amd64", "cloud-amd64"],
    ["6.1.0-22-rt-amd64", "rt-amd64"],
    ["6.6.13+bpo-amd64", "amd64"],
    ["5.15.0-91-generic", "generic"],
    ["6.5.0-1014-aws", "aws"],
    ["6.7.4-arch1-1", ""],
    ["6.6.16-1-lts", "lts"],
    ["6.7.4-zen1-1-zen", "zen"],
    ["6.5.6-300.fc39.x86_64", ""],
    ["6.10.3-200.fc39.x86_64+debug", "+debug"],
  ])("%s -> %s", (release, flavour) => expect(flavourOf(release)).toBe(flavour));
});

describe("os-release family", () => {
  it.each([
    ['ID=debian\n', "debian"],
    ['ID=ubuntu\nID_LIKE=debian\n', "debian"],
    ['ID="rocky"\nID_LIKE="rhel centos fedora"\n', "rpm"],
    ['ID=fedora\n', "rpm"],
    ['ID=opensuse-tumbleweed\nID_LIKE="opensuse suse"\n', "rpm"],
    ['ID=arch\n', "arch"],
    ['ID=manjaro\nID_LIKE=arch\n', "arch"],
    ['ID=alpine\n', "other"],
    ['', "other"],
  ])("%j", (text, family) => expect(familyOf(parseOsRelease(text))).toBe(family));
});

describe("dpkg status", () => {
  it("keeps installed linux-image packages only", () => {
    const status = [
      "Package: linux-image-6.1.0-18-amd64\nStatus: install ok installed\nVersion: 6.1.76-1\n",
      "Package: linux-image-6.1.0-17-amd64\nStatus: deinstall ok config-files\nVersion: 6.1.69-1\n",
      "Package: linux-image-amd64\nStatus: install ok installed\nVersion: 6.1.76-1\n",
      "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\n",
    ].join("\n");
    expect([...kernelPackageVersions(status)]).toEqual([
      ["linux-image-6.1.0-18-amd64", "6.1.76-1"],
      ["linux-image-amd64", "6.1.76-1"],
    ]);
    expect(kernelPackageVersions(null).size).toBe(0);
  });
});

describe("checkKernel on fixture roots", () => {
  it("Debian: newer ABI installed, /run/reboot-required, other flavours ignored", () => {
    const k = checkKernel(fixture("cgroup-v2-debian"));
    expect(k).toMatchObject({ family: "debian", running: "6.1.0-18-amd64", installed: "6.1.0-21-amd64", rebootRequired: true });
    expect(k.reasons).toEqual(["/run/reboot-required (linux-image-6.1.0-21-amd64)", "newer kernel 6.1.0-21-amd64 installed"]);
    expect(k.runningVersion).toContain("Debian 6.1.76-1");
  });

  it("Debian: same release, newer package build", () => {
    const k = checkKernel(fixture("kernel-debian-abi-update"));
    expect(k).toMatchObject({ running: "6.1.0-18-amd64", installed: "6.1.0-18-amd64", rebootRequired: true });
    expect(k.reason).toBe("linux-image-6.1.0-18-amd64 6.1.85-1 installed, 6.1.76-1 running");
  });

  it("Debian: up to date, an rt flavour beside it does not count", () => {
    expect(checkKernel(fixture("kernel-debian-current"))).toMatchObject({ installed: "6.1.0-21-amd64", rebootRequired: false, reason: "" });
  });

  it("Ubuntu: newer kernel and the reboot-required flag", () => {
    const k = checkKernel(fixture("kernel-ubuntu-newer"));
    expect(k).toMatchObject({ family: "debian", running: "5.15.0-91-generic", installed: "5.15.0-101-generic", rebootRequired: true });
    expect(k.reasons[0]).toBe("/run/reboot-required (linux-image-5.15.0-101-generic, linux-base)");
  });

  it("Ubuntu HWE: same release, newer build", () => {
    const k = checkKernel(fixture("kernel-ubuntu-hwe-build"));
    expect(k).toMatchObject({ installed: "6.5.0-14-generic", rebootRequired: true });
    expect(k.reason).toContain("6.5.0-14.14~22.04.2 installed, build #14~22.04.1 running");
  });

  it("Fedora: newer kernel in /usr/lib/modules; a +debug variant is another flavour", () => {
    expect(checkKernel(fixture("kernel-fedora-newer"))).toMatchObject({ family: "rpm", installed: "6.6.8-200.fc39.x86_64", rebootRequired: true, reason: "newer kernel 6.6.8-200.fc39.x86_64 installed" });
  });

  it("Fedora: running the newest (6.10 after 6.9)", () => {
    expect(checkKernel(fixture("kernel-fedora-current"))).toMatchObject({ installed: "6.10.3-200.fc40.x86_64", rebootRequired: false });
  });

  it("RHEL-like: newer z-stream kernel", () => {
    expect(checkKernel(fixture("cgroup-v1-rhel"))).toMatchObject({ family: "rpm", installed: "5.14.0-362.13.1.el9_3.x86_64", rebootRequired: true });
  });

  it("Arch: the running kernel's modules directory is gone", () => {
    const k = checkKernel(fixture("kernel-arch-upgraded"));
    expect(k).toMatchObject({ family: "arch", running: "6.7.4-arch1-1", installed: "6.7.5-arch1-1", rebootRequired: true });
    expect(k.reasons).toContain("/usr/lib/modules/6.7.4-arch1-1 is gone (the running kernel's package was upgraded or removed)");
  });

  it("Arch: running linux-lts while linux is newer needs no reboot", () => {
    expect(checkKernel(fixture("kernel-arch-lts-current"))).toMatchObject({ installed: "6.6.16-1-lts", rebootRequired: false });
  });

  it("a container without /boot images or modules knows nothing and requires nothing", () => {
    expect(checkKernel(fixture("kernel-container"))).toMatchObject({ running: "6.1.0-21-amd64", installed: "", rebootRequired: false });
  });
});
