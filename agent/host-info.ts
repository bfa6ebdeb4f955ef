// Facts about this host for the Hello: hostname, boot id, kernel, OS name, uptime.
import { readFileSync } from "node:fs";
import { hostname, release, uptime } from "node:os";

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (err) {
    if (["ENOENT", "EACCES", "EPERM"].includes((err as NodeJS.ErrnoException).code ?? "")) return fallback;
    throw err;
  }
}

export function bootId(): string {
  return readOr("/proc/sys/kernel/random/boot_id", "");
}

export function osPrettyName(): string {
  const text = readOr("/etc/os-release", "") || readOr("/usr/lib/os-release", "");
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m ? m[1]! : "";
}

export const hostInfo = () => ({
  hostname: hostname(),
  bootId: bootId(),
  kernelRelease: release(),
  osPrettyName: osPrettyName(),
  uptimeS: Math.floor(uptime()),
});
