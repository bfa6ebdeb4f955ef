// Whether the container suite must run (CI) or may be skipped (a laptop without Docker).

import { E2eError } from "./errors.js";
import { probeDocker } from "./runtime.js";

export type E2eMode = "required" | "optional";

/** LASTSEEN_E2E=required: a missing engine fails the run. Unset or "optional": the suite is skipped. */
export function e2eMode(env: NodeJS.ProcessEnv = process.env): E2eMode {
  const value = env.LASTSEEN_E2E;
  if (value === undefined || value === "" || value === "optional") return "optional";
  if (value === "required") return "required";
  throw new E2eError("LASTSEEN_ERR_E2E_MODE_INVALID", `LASTSEEN_E2E='${value}' is not valid; use 'required' or 'optional' (or leave it unset)`);
}

export interface E2eGate {
  run: boolean;
  reason: string;
}

const HOW_TO_RUN =
  "to run it: start a Docker engine (on Debian as root: bash .ci/run --setup-only), then LASTSEEN_E2E=required npx vitest run test/e2e";

/** Set once the skip notice was printed (env: workers inherit it from globalSetup's process). */
const ANNOUNCED = "LASTSEEN_E2E_SKIP_ANNOUNCED";

/**
 * Decides whether a container suite runs. Required mode without an engine throws (the file fails);
 * optional mode prints once why the suite is skipped and how to run it.
 */
export async function e2eGate(suite: string): Promise<E2eGate> {
  const mode = e2eMode();
  const probe = await probeDocker();
  if (probe.ok) return { run: true, reason: probe.detail };
  if (mode === "required") {
    throw new E2eError(
      "LASTSEEN_ERR_E2E_DOCKER_UNAVAILABLE",
      `LASTSEEN_E2E=required but no Docker engine answered for suite '${suite}': ${probe.detail}; ${HOW_TO_RUN}`,
    );
  }
  const reason = `no Docker engine: ${probe.detail}`;
  if (process.env[ANNOUNCED] !== "1") {
    process.env[ANNOUNCED] = "1";
    console.warn(`[e2e] SKIPPED container suites (${reason}); ${HOW_TO_RUN}`);
  }
  console.warn(`[e2e] skipped suite '${suite}' (no Docker engine)`);
  return { run: false, reason };
}
