// What is not package code. A deleted executable mapping of one of these does not mean a process
// runs outdated code from a package, so it is not reported.
//
// Pattern syntax (the default list and the user's additions in config):
//   /dir/          everything under /dir (a trailing slash means "this directory and below")
//   /glob*         an absolute path matched whole; '*' matches any characters (also '/'),
//                  '?' exactly one; every other character is literal (so "/[aio]" is literal)
//   re:REGEX       a JavaScript regular expression searched anywhere in the path
import { ScanError } from "./errors.js";

export interface IgnoreRule {
  readonly pattern: string;
  readonly why: string;
}

export const DEFAULT_IGNORE: readonly IgnoreRule[] = Object.freeze([
  { pattern: "/memfd:*", why: "memfd_create(2) regions: anonymous memory with a name, not files" },
  { pattern: "/dev/", why: "devices, /dev/shm (POSIX shared memory), /dev/zero mappings" },
  { pattern: "/SYSV*", why: "SYSV shared memory segments" },
  { pattern: "/drm*", why: "DRM/GEM graphics buffer objects (\"/drm mm object\")" },
  { pattern: "/[aio]*", why: "kernel AIO ring buffers" },
  { pattern: "/anon_hugepage*", why: "shared anonymous huge pages" },
  { pattern: "/tmp/", why: "temporary files, never package code" },
  { pattern: "/var/tmp/", why: "temporary files, never package code" },
  { pattern: "/run/", why: "runtime state (tmpfs), never package code" },
  { pattern: "/var/run/", why: "runtime state (tmpfs), never package code" },
  { pattern: "re:/#\\d+$", why: "JIT code in unlinked files (e.g. libffi closures, \"/#1234\")" },
  { pattern: "re:/orcexec\\.[A-Za-z0-9]+$", why: "GStreamer ORC JIT code" },
  { pattern: "re:/jna-?\\d+\\.tmp$", why: "JNA native stubs unpacked by Java" },
  { pattern: "re:/jffi\\d+\\.tmp$", why: "JRuby/jnr jffi native stubs unpacked by Java" },
  { pattern: "re:/hsperfdata_[^/]+/", why: "JVM performance data files" },
]);

export type IgnoreMatcher = (path: string) => boolean;

/** Compiles the default list plus the user's patterns. Throws LASTSEEN_ERR_SCAN_IGNORE_PATTERN. */
export function compileIgnore(extra: readonly string[] = [], defaults: readonly IgnoreRule[] = DEFAULT_IGNORE): IgnoreMatcher {
  const prefixes: string[] = [];
  const regexes: RegExp[] = [];
  const all = [...defaults.map((r) => r.pattern), ...extra];
  for (const pattern of all) {
    const compiled = compilePattern(pattern);
    if (typeof compiled === "string") prefixes.push(compiled);
    else regexes.push(compiled);
  }
  return (path: string): boolean => {
    for (const p of prefixes) if (path.startsWith(p)) return true;
    for (const r of regexes) if (r.test(path)) return true;
    return false;
  };
}

/** A prefix string for "/dir/" patterns, a RegExp otherwise. */
export function compilePattern(pattern: string): string | RegExp {
  if (pattern.startsWith("re:")) {
    const source = pattern.slice(3);
    if (source.length === 0) throw badPattern(pattern, "the regular expression is empty");
    try {
      return new RegExp(source);
    } catch (err) {
      throw badPattern(pattern, (err as Error).message);
    }
  }
  if (!pattern.startsWith("/")) throw badPattern(pattern, "a path pattern must start with '/' (or use re:REGEX)");
  if (pattern.length === 1) throw badPattern(pattern, "'/' would ignore everything");
  if (pattern.endsWith("/") && !/[*?]/.test(pattern)) return pattern;
  let re = "^";
  for (const ch of pattern) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
  }
  re += pattern.endsWith("/") ? "" : "$";
  return new RegExp(re);
}

function badPattern(pattern: string, why: string): ScanError {
  return new ScanError("LASTSEEN_ERR_SCAN_IGNORE_PATTERN", `ignore pattern ${JSON.stringify(pattern)}: ${why}`);
}
