// Errors of the container test infrastructure. Codes are stable; docs/testing.md lists them.

export type E2eErrorCode =
  /** LASTSEEN_E2E=required and no Docker engine answered. */
  | "LASTSEEN_ERR_E2E_DOCKER_UNAVAILABLE"
  /** LASTSEEN_E2E holds a value other than "required" or "optional". */
  | "LASTSEEN_ERR_E2E_MODE_INVALID"
  /** The base image could not be assembled or imported (ldd, tar or docker import failed). */
  | "LASTSEEN_ERR_E2E_IMAGE_BUILD"
  /** Another process held the image build lock for too long. */
  | "LASTSEEN_ERR_E2E_IMAGE_LOCK"
  /** A container, network or volume created by a test could not be removed. */
  | "LASTSEEN_ERR_E2E_CLEANUP";

export class E2eError extends Error {
  override readonly name = "E2eError";
  constructor(
    readonly code: E2eErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}
