// Running kernel against installed kernels: a pure function of the facts.
//
//   all families   run/reboot-required present (Debian/Ubuntu write it; others may)
//                  a newer kernel of the same flavour installed (boot/ images, modules dirs)
//                  the running kernel's modules directory is gone while others exist (Arch
//                  deletes it on upgrade; elsewhere the running kernel's package was removed)
//   Debian/Ubuntu  same release, newer package build (ABI-compatible security updates)
import type { KernelStatus } from "../../../proto/types.js";
import type { KernelFacts } from "./facts.js";
import { flavourOf } from "./flavour.js";
import type { Family } from "./os-release.js";
import { compareVersions, newest } from "./version-compare.js";

export interface KernelVerdict extends KernelStatus {
  family: Family;
  /** Every reason a reboot is required (joined into `reason`). */
  reasons: string[];
}

export function decideKernel(f: KernelFacts): KernelVerdict {
  const running = f.release;
  const candidates = installedCandidates(f);
  const runningEntry = f.modules.find((m) => m.release === running);
  const sameFlavour = candidates.filter((r) => sameKind(f, running, runningEntry?.pkgbase ?? null, r));
  const installed = newest(sameFlavour);
  const reasons: string[] = [];

  if (f.rebootRequiredFlag) {
    reasons.push(f.rebootRequiredPkgs.length > 0 ? `/run/reboot-required (${f.rebootRequiredPkgs.join(", ")})` : "/run/reboot-required");
  }
  if (running && installed && compareVersions(installed, running) > 0) {
    reasons.push(`newer kernel ${installed} installed`);
  }
  if (running && f.modulesDir && f.modules.length > 0 && !runningEntry) {
    reasons.push(`/${f.modulesDir}/${running} is gone (the running kernel's package was upgraded or removed)`);
  }
  const build = f.family === "debian" ? debianBuildUpdate(f) : null;
  if (build) reasons.push(build);

  return {
    running,
    runningVersion: f.version,
    installed: installed ?? "",
    rebootRequired: reasons.length > 0,
    reason: reasons.join("; "),
    family: f.family,
    reasons,
  };
}

function installedCandidates(f: KernelFacts): string[] {
  const withImage = f.modules.filter((m) => m.hasImage).map((m) => m.release);
  switch (f.family) {
    case "debian":
      // Debian keeps images in /boot; modules directories may outlive a removed (not purged) kernel.
      return f.bootReleases.length > 0 ? f.bootReleases : f.modules.map((m) => m.release);
    case "arch":
      return withImage;
    case "rpm":
    case "other":
      return unique([...f.bootReleases, ...withImage]);
  }
}

function sameKind(f: KernelFacts, running: string, runningPkgbase: string | null, other: string): boolean {
  if (f.family === "arch" && runningPkgbase) {
    const pb = f.modules.find((m) => m.release === other)?.pkgbase ?? null;
    if (pb) return pb === runningPkgbase;
  }
  return flavourOf(other) === flavourOf(running);
}

/** Debian: "... Debian 6.1.76-1 (2024-02-01)"; Ubuntu: "#101-Ubuntu SMP ..." or "#34~22.04.1-Ubuntu". */
function debianBuildUpdate(f: KernelFacts): string | null {
  const names = [`linux-image-${f.release}`, `linux-image-unsigned-${f.release}`, `linux-image-${f.release}-unsigned`];
  const name = names.find((n) => f.kernelPackages.has(n));
  if (!name) return null;
  const pkgVersion = f.kernelPackages.get(name)!;
  const debian = /\bDebian (\S+)/.exec(f.version);
  if (debian) {
    const built = debian[1]!;
    return compareVersions(pkgVersion, built) > 0 ? `${name} ${pkgVersion} installed, ${built} running` : null;
  }
  const ubuntu = /^#(\S+?)-Ubuntu\b/.exec(f.version);
  const pkgTag = /^[\d.]+-\d+\.(.+)$/.exec(pkgVersion)?.[1];
  if (ubuntu && pkgTag) {
    const built = ubuntu[1]!;
    return compareVersions(pkgTag, built) > 0 ? `${name} ${pkgVersion} installed, build #${built} running` : null;
  }
  return null;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
