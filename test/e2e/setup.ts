// vitest globalSetup of the e2e project (see docs/testing.md): decides once per run whether the
// container suites run, builds the base image before any worker starts (so test files never race
// to build it), and after the run removes anything a test file failed to clean up.

import { randomBytes } from "node:crypto";
import { E2eError, LABEL_SESSION, e2eGate, ensureBaseImage, sweep } from "../helpers/docker.js";

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  // Throws LASTSEEN_ERR_E2E_DOCKER_UNAVAILABLE when LASTSEEN_E2E=required and no engine answers.
  const gate = await e2eGate("test/e2e");
  if (!gate.run) return undefined;

  const session = randomBytes(4).toString("hex");
  // Workers start after globalSetup and inherit this; labs label everything with it.
  process.env.LASTSEEN_E2E_SESSION = session;
  const t0 = Date.now();
  const image = await ensureBaseImage();
  console.info(`[e2e] ${gate.reason}; base image ${image} ready after ${Date.now() - t0} ms; session ${session}`);

  return async () => {
    const { removed, failures } = await sweep(LABEL_SESSION, session);
    if (removed.length > 0) {
      console.warn(`[e2e] removed what test files left behind (a missing lab.cleanup()?): ${removed.join(", ")}`);
    }
    if (failures.length > 0) {
      throw new E2eError("LASTSEEN_ERR_E2E_CLEANUP", `session ${session} left ${failures.length} item(s): ${failures.join("; ")}`);
    }
  };
}
