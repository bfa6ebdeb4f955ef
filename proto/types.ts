// Plain, validated shapes of every wire message. Agent and collector work with these, never with
// the generated protobufjs classes: proto/codec.ts converts in both directions.

export interface Hello {
  agentVersion: string;
  hostname: string;
  bootId: string;
  heartbeatIntervalMs: number;
  streamId: string;
  outboxDropped: number;
  jobs: JobExpectation[];
  kernelRelease: string;
  osPrettyName: string;
}

export interface Heartbeat {
  outboxPending: number;
  outboxDropped: number;
  uptimeS: number;
}

export interface StaleProcess {
  pid: number;
  name: string;
  /** systemd unit to restart, "" when none. */
  unit: string;
  user: string;
  deleted: string[];
  cmdline: string;
  startedAtMs: number;
  /** Container (other PID namespace), "" for the host. */
  container: string;
  restartKind: string;
  ppid: number;
}

export interface KernelStatus {
  running: string;
  runningVersion: string;
  /** Newest installed kernel release, "" when unknown. */
  installed: string;
  rebootRequired: boolean;
  reason: string;
}

export interface StaleReport {
  scannedAtMs: number;
  processes: StaleProcess[];
  kernel: KernelStatus | null;
  skippedVanished: number;
  skippedDenied: number;
  scannedProcesses: number;
}

export type JobPhase = "start" | "end";

export interface JobEvent {
  job: string;
  runId: string;
  phase: JobPhase;
  startedAtMs: number;
  /** 0 on a start event. */
  endedAtMs: number;
  /** null when killed by a signal, or on a start event. */
  exitCode: number | null;
  signal: string;
  outputTail: string;
  message: string;
  pid: number;
}

export interface JobExpectation {
  job: string;
  every: string;
  cron: string;
  timezone: string;
  grace: string;
  maxRuntime: string;
}

export interface AddressObservation {
  source: string;
  detail: string;
  address: string;
  family: 0 | 4 | 6;
  error: string;
  rttMs: number;
}

export interface AcceptedAddress {
  address: string;
  family: 4 | 6;
  sources: string[];
  scope: string;
}

export interface AddressReport {
  observations: AddressObservation[];
  accepted: AcceptedAddress[];
  disagreements: string[];
}

/** Every kind of body an agent can send, keyed by the oneof field name. */
export interface AgentBodies {
  hello: Hello;
  heartbeat: Heartbeat;
  staleReport: StaleReport;
  jobEvent: JobEvent;
  addressReport: AddressReport;
}
export type AgentBodyKind = keyof AgentBodies;
export type AgentBody = { [K in AgentBodyKind]: { kind: K; value: AgentBodies[K] } }[AgentBodyKind];

export interface Envelope {
  /** 0 for messages that are not spooled (hello, heartbeat). */
  seq: number;
  eventId: string;
  sentAtMs: number;
  body: AgentBody;
}

export interface Welcome {
  highWaterSeq: number;
  host: string;
  serverTimeMs: number;
  observedAddress: string;
  stunPort: number;
}
export interface Ack {
  seq: number;
}
export interface Reject {
  seq: number;
  eventId: string;
  permanent: boolean;
  code: string;
  reason: string;
}
export interface Throttle {
  retryAfterMs: number;
}

export interface ServerBodies {
  welcome: Welcome;
  ack: Ack;
  reject: Reject;
  throttle: Throttle;
}
export type ServerBodyKind = keyof ServerBodies;
export type ServerMessage = { [K in ServerBodyKind]: { kind: K; value: ServerBodies[K] } }[ServerBodyKind];

/** Kinds of agent bodies that are spooled in the outbox and acknowledged (seq > 0). */
export const SPOOLED_KINDS: ReadonlySet<AgentBodyKind> = new Set(["staleReport", "jobEvent", "addressReport"]);
