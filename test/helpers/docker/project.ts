// How the project gets into containers: the checkout is bind-mounted read-only at /app on top of
// the base image. No copy and no second image: dist/ and node_modules/ are used as they are on the
// host, and better-sqlite3's native module loads because node and glibc in the image are the host's.

import type { GenericContainer } from "testcontainers";
import { ensureBaseImage } from "./base-image.js";
import type { BaseImageOptions } from "./base-image.js";
import { projectRoot } from "./project-root.js";

export const PROJECT_MOUNT = "/app";

/** testcontainers' bind mount ({ source, target, mode }); not exported by the package itself. */
export type BindMount = Parameters<GenericContainer["withBindMounts"]>[0][number];

export interface ProjectImage {
  image: string;
  bindMounts: BindMount[];
  workingDir: string;
}

/** The base image plus the read-only project mount at /app (see the file comment for the choice). */
export async function projectImage(opts: BaseImageOptions = {}): Promise<ProjectImage> {
  return {
    image: await ensureBaseImage(opts),
    bindMounts: [{ source: projectRoot(), target: PROJECT_MOUNT, mode: "ro" }],
    workingDir: PROJECT_MOUNT,
  };
}
