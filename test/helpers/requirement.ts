// Tests that need a tool of the machine (chromium, nginx, systemd-analyze, tmpfs mounts, ...)
// skip with a message on a developer's machine that lacks it; in CI (LASTSEEN_CI=1, set by
// .ci/run, which installs every one of them) a missing tool fails the run instead, so nothing is
// skipped silently there.

/** For `describe.skipIf(...)`: true (skip) when the requirement is missing outside CI. */
export function missing(available: boolean, what: string): boolean {
  if (available) return false;
  if (process.env.LASTSEEN_CI === "1") {
    throw new Error(`${what} is not available, and CI runs every test: .ci/run should have installed it`);
  }
  console.warn(`[skipped] ${what} is not available on this machine; \`bash .ci/run\` installs it`);
  return true;
}
