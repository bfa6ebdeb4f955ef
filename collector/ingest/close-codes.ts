// WebSocket close codes the collector uses (RFC 6455 section 7.4, and 4000-4999 for lastseen).
export const CLOSE = {
  goingAway: 1001,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
  tryAgainLater: 1013,
  /** A newer connection of the same host replaced this one. */
  replaced: 4001,
  /** The host's token was revoked while connected. */
  revoked: 4003,
} as const;
