// Errors raised while decoding or validating wire data, and the base of every typed error of
// lastseen. Codes are stable and listed in docs/errors.md.

/** An error with a stable code (`LASTSEEN_ERR_...`); every module's error class extends it. */
export class CodedError<C extends string> extends Error {
  constructor(readonly code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type ProtocolErrorCode =
  | "LASTSEEN_ERR_FRAME_MALFORMED"
  | "LASTSEEN_ERR_FRAME_TOO_LARGE"
  | "LASTSEEN_ERR_FRAME_EMPTY_BODY"
  | "LASTSEEN_ERR_FRAME_INVALID";

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    /** Dotted path of the offending field, e.g. "jobEvent.job". */
    readonly field?: string,
    /** What was decoded of the envelope before the error, when anything was. */
    readonly envelope?: { seq: number; eventId: string; kind: string },
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** A duration text ("90s", "1h30m") that does not parse or is out of range. */
export class DurationError extends Error {
  override readonly name = "DurationError";
  readonly code = "LASTSEEN_ERR_DURATION";
}
