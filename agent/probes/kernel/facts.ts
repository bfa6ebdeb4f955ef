// Everything the kernel check reads, gathered under a root directory (the seam for fixtures).
// Reads only: no command is run (no `uname`, no `rpm -q`, no `needs-restarting`).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { kernelPackageVersions } from "./dpkg-status.js";
import type { Family, OsRelease } from "./os-release.js";
import { familyOf, parseOsRelease } from "./os-release.js";

export interface ModulesEntry {
  release: string;
  /** The directory holds a kernel image (Fedora and Arch install vmlinuz there). */
  hasImage: boolean;
  /** Arch's package base ("linux", "linux-lts"), or null. */
  pkgbase: string | null;
}

export interface KernelFacts {
  /** uname -r, from proc/sys/kernel/osrelease ("" when unreadable). */
  release: string;
  /** uname -v, from proc/sys/kernel/version. */
  version: string;
  os: OsRelease;
  family: Family;
  /** Releases of the kernel images in boot/ (vmlinuz-RELEASE and the like). */
  bootReleases: string[];
  /** The modules directory used ("usr/lib/modules" or "lib/modules"), null when there is none. */
  modulesDir: string | null;
  modules: ModulesEntry[];
  /** run/reboot-required exists (Debian/Ubuntu's update-notifier hooks). */
  rebootRequiredFlag: boolean;
  rebootRequiredPkgs: string[];
  /** Installed linux-image-* package versions (Debian family only). */
  kernelPackages: Map<string, string>;
}

const BOOT_IMAGE = /^(?:vmlinuz|vmlinux|Image|zImage|kernel)-(\d.+)$/;
const IMAGE_NAMES = ["vmlinuz", "vmlinux", "Image", "zImage"];

export function readKernelFacts(root = "/"): KernelFacts {
  const text = (rel: string): string | null => readText(join(root, rel));
  const os = parseOsRelease(text("etc/os-release") ?? text("usr/lib/os-release"));
  const family = familyOf(os);
  const modulesDir = ["usr/lib/modules", "lib/modules"].find((d) => existsSync(join(root, d))) ?? null;
  const modules: ModulesEntry[] = [];
  if (modulesDir) {
    for (const release of list(join(root, modulesDir))) {
      if (!/^\d/.test(release)) continue;
      const dir = join(root, modulesDir, release);
      modules.push({
        release,
        hasImage: IMAGE_NAMES.some((n) => existsSync(join(dir, n))),
        pkgbase: text(join(modulesDir, release, "pkgbase"))?.trim() || null,
      });
    }
  }
  const bootReleases = list(join(root, "boot"))
    .map((n) => BOOT_IMAGE.exec(n)?.[1])
    .filter((r): r is string => r !== undefined && !r.startsWith("0-rescue") && !r.endsWith(".old"));
  const pkgs = text("run/reboot-required.pkgs");
  return {
    release: text("proc/sys/kernel/osrelease")?.trim() ?? "",
    version: text("proc/sys/kernel/version")?.trim() ?? "",
    os,
    family,
    bootReleases,
    modulesDir,
    modules,
    rebootRequiredFlag: existsSync(join(root, "run/reboot-required")),
    rebootRequiredPkgs: pkgs ? [...new Set(pkgs.split("\n").map((l) => l.trim()).filter(Boolean))] : [],
    kernelPackages: family === "debian" ? kernelPackageVersions(text("var/lib/dpkg/status")) : new Map(),
  };
}

/** A file's text, or null when absent or unreadable (each is a normal state of some host). */
function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** Directory entries, or [] when absent or unreadable. */
function list(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
