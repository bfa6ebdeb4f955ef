// The collector's own counters. Plain numbers here; /metrics exposes them (collector/http/metrics.ts).
export class CollectorStats {
  connectionsOpened = 0;
  connectionsClosed = 0;
  authFailures = 0;
  framesReceived = 0;
  framesRejected = 0;
  eventsStored = 0;
  eventsDuplicate = 0;
  eventsRejected = 0;
  heartbeats = 0;
  commitBatches = 0;
  commitFailures = 0;
  throttled = 0;
  livenessTimeouts = 0;
  /** By close reason code, e.g. "LASTSEEN_ERR_FRAME_MALFORMED". */
  readonly protocolErrors = new Map<string, number>();

  protocolError(code: string): void {
    this.protocolErrors.set(code, (this.protocolErrors.get(code) ?? 0) + 1);
  }
}
