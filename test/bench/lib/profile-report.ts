// Keeps a collector CPU profile (outside the data directory, which is removed) and prints its
// summary as three tables.
import { copyFileSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { summarizeProfile } from "./cpuprofile.js";
import { table } from "./stats.js";

const indent = (s: string) => s.split("\n").map((l) => `    ${l}`).join("\n");
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function printProfile(file: string): void {
  const s = summarizeProfile(file);
  console.log(`\n    CPU profile ${file}: ${(s.totalMs / 1000).toFixed(1)} s recorded, ${(s.busyMs / 1000).toFixed(1)} s not idle`);
  console.log(indent(table(["area (self time)", "ms", "share"], s.byArea.map((l) => [l.name, l.ms, pct(l.share)]))));
  console.log("");
  console.log(indent(table(["function (self time)", "ms", "of non-idle"], s.topSelf.map((l) => [l.name, l.ms, pct(l.share)]))));
  console.log("");
  console.log(indent(table(["collector/proto function (inclusive)", "ms", "of non-idle"], s.topOwnInclusive.map((l) => [l.name, l.ms, pct(l.share)]))));
  console.log("");
}

/** Copies the .cpuprofile written into profileDir to a directory of its own that stays; returns its path. */
export function keepProfile(profileDir: string, label: string): string {
  const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile was written to ${profileDir} (did the collector exit cleanly?)`);
  const dest = join(mkdtempSync(join(tmpdir(), "lastseen-bench-profile-")), `${label}.cpuprofile`);
  copyFileSync(join(profileDir, file), dest);
  return dest;
}
