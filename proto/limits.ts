// Size limits for untrusted input. Both ends enforce them: the agent before it spools an event
// (so it never spools what the collector would refuse), the collector on every frame.

export const LIMITS = {
  /** Largest frame either side accepts (WebSocket maxPayload). */
  maxFrameBytes: 1024 * 1024,
  maxShortString: 256,
  maxPath: 4096,
  maxCmdline: 4096,
  maxOutputTail: 16 * 1024,
  maxMessage: 4096,
  maxProcesses: 20_000,
  maxDeletedPerProcess: 256,
  maxJobs: 1000,
  maxObservations: 64,
  maxDisagreements: 16,
} as const;

/** Job names: what a user types in `lastseen-agent job run NAME`. */
export const JOB_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$/;
