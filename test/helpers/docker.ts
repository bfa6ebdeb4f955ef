// Container test infrastructure (docs/testing.md). One import for test files:
//   import { e2eGate, Lab, pause, exec, ... } from "../helpers/docker.js";

export { E2eError } from "./docker/errors.js";
export type { E2eErrorCode } from "./docker/errors.js";
export { e2eGate, e2eMode } from "./docker/mode.js";
export type { E2eGate, E2eMode } from "./docker/mode.js";
export { applyTestcontainersDefaults, dockerAvailable, probeDocker } from "./docker/runtime.js";
export type { DockerProbe } from "./docker/runtime.js";
export { BASE_IMAGE_REPO, REQUIRED_TOOLS, baseImageRecipe, ensureBaseImage, imageExists } from "./docker/base-image.js";
export type { BaseImageOptions, BaseImageRecipe } from "./docker/base-image.js";
export { PROJECT_MOUNT, projectImage } from "./docker/project.js";
export type { BindMount, ProjectImage } from "./docker/project.js";
export { projectRoot } from "./docker/project-root.js";
export { LABEL, LABEL_RUN, LABEL_SESSION, LABEL_SUITE, Lab, leftovers, sweep } from "./docker/lab.js";
export type { ContainerSpec, SweepResult } from "./docker/lab.js";
export { connectNetwork, disconnectNetwork, exec, ipOn, kill, logs, pause, state, unpause } from "./docker/control.js";
export type { ContainerState, ExecOpts, ExecOutcome } from "./docker/control.js";
