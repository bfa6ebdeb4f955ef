// Bytes <-> validated messages. The only place that touches the generated protobufjs code.
import "./pb-runtime.js"; // must come before the generated code: it configures number decoding
import { lastseen } from "./gen/lastseen.js";
import { ProtocolError } from "./errors.js";
import { JOB_NAME_RE, LIMITS } from "./limits.js";
import { int, invalid, list, obj, str, uint } from "./validate.js";
import type {
  AcceptedAddress, AddressObservation, AddressReport, AgentBody, Envelope, Heartbeat, Hello, JobEvent,
  JobExpectation, KernelStatus, ServerMessage, StaleProcess, StaleReport,
} from "./types.js";

const pb = lastseen.v1;
const S = LIMITS.maxShortString;

// ---------- agent -> collector ----------

export function encodeEnvelope(env: Envelope): Uint8Array {
  const { kind, value } = env.body;
  const body: Record<string, unknown> = { [kind]: kind === "jobEvent" ? jobEventToWire(value as JobEvent) : value };
  return pb.Envelope.encode(pb.Envelope.fromObject({ seq: env.seq, eventId: env.eventId, sentAtMs: env.sentAtMs, ...body })).finish();
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.byteLength > LIMITS.maxFrameBytes) {
    throw new ProtocolError("LASTSEEN_ERR_FRAME_TOO_LARGE", `frame of ${bytes.byteLength} bytes exceeds ${LIMITS.maxFrameBytes}`);
  }
  let m: lastseen.v1.Envelope;
  try {
    m = pb.Envelope.decode(bytes);
  } catch (err) {
    throw new ProtocolError("LASTSEEN_ERR_FRAME_MALFORMED", `not a lastseen.v1.Envelope: ${(err as Error).message}`);
  }
  const kind = m.body;
  if (!kind) throw new ProtocolError("LASTSEEN_ERR_FRAME_EMPTY_BODY", "envelope carries no known message kind");
  const seq = uint(m.seq, "seq");
  const eventId = str(m.eventId, "eventId", 64, { required: seq > 0 });
  const sentAtMs = int(m.sentAtMs, "sentAtMs");
  try {
    return { seq, eventId, sentAtMs, body: validateBody(kind, m[kind]) };
  } catch (err) {
    if (err instanceof ProtocolError) {
      // Keep the offending field (the message already starts with it) and add the envelope.
      const detail = err.field && err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
      throw new ProtocolError(err.code, detail, err.field, { seq, eventId, kind });
    }
    throw err;
  }
}

function validateBody(kind: NonNullable<lastseen.v1.Envelope["body"]>, raw: unknown): AgentBody {
  switch (kind) {
    case "hello": return { kind, value: hello(obj(raw)) };
    case "heartbeat": return { kind, value: heartbeat(obj(raw)) };
    case "staleReport": return { kind, value: staleReport(obj(raw)) };
    case "jobEvent": return { kind, value: jobEvent(obj(raw)) };
    case "addressReport": return { kind, value: addressReport(obj(raw)) };
  }
}

/** Validates a body built locally (the agent does this before spooling an event). */
export function checkBody(body: AgentBody): AgentBody {
  return validateBody(body.kind, body.kind === "jobEvent" ? jobEventToWire(body.value) : body.value);
}

function hello(m: Record<string, unknown>): Hello {
  return {
    agentVersion: str(m.agentVersion, "hello.agentVersion", 64),
    hostname: str(m.hostname, "hello.hostname", S),
    bootId: str(m.bootId, "hello.bootId", 64),
    heartbeatIntervalMs: uint(m.heartbeatIntervalMs, "hello.heartbeatIntervalMs", 24 * 3600_000),
    streamId: str(m.streamId, "hello.streamId", 64, { required: true }),
    outboxDropped: uint(m.outboxDropped, "hello.outboxDropped"),
    jobs: list(m.jobs, "hello.jobs", LIMITS.maxJobs, (j, f) => jobExpectation(obj(j), f)),
    kernelRelease: str(m.kernelRelease, "hello.kernelRelease", S),
    osPrettyName: str(m.osPrettyName, "hello.osPrettyName", S),
  };
}

function jobExpectation(m: Record<string, unknown>, f: string): JobExpectation {
  return {
    job: str(m.job, `${f}.job`, 128, { required: true, re: JOB_NAME_RE }),
    every: str(m.every, `${f}.every`, 32),
    cron: str(m.cron, `${f}.cron`, 128),
    timezone: str(m.timezone, `${f}.timezone`, 64),
    grace: str(m.grace, `${f}.grace`, 32),
    maxRuntime: str(m.maxRuntime, `${f}.maxRuntime`, 32),
  };
}

function heartbeat(m: Record<string, unknown>): Heartbeat {
  return {
    outboxPending: uint(m.outboxPending, "heartbeat.outboxPending"),
    outboxDropped: uint(m.outboxDropped, "heartbeat.outboxDropped"),
    uptimeS: uint(m.uptimeS, "heartbeat.uptimeS"),
  };
}

function staleReport(m: Record<string, unknown>): StaleReport {
  return {
    scannedAtMs: int(m.scannedAtMs, "staleReport.scannedAtMs"),
    processes: list(m.processes, "staleReport.processes", LIMITS.maxProcesses, (p, f) => staleProcess(obj(p), f)),
    kernel: m.kernel == null ? null : kernelStatus(obj(m.kernel)),
    skippedVanished: uint(m.skippedVanished, "staleReport.skippedVanished"),
    skippedDenied: uint(m.skippedDenied, "staleReport.skippedDenied"),
    scannedProcesses: uint(m.scannedProcesses, "staleReport.scannedProcesses"),
  };
}

function staleProcess(m: Record<string, unknown>, f: string): StaleProcess {
  return {
    pid: uint(m.pid, `${f}.pid`, 2 ** 32 - 1),
    name: str(m.name, `${f}.name`, S),
    unit: str(m.unit, `${f}.unit`, S),
    user: str(m.user, `${f}.user`, S),
    deleted: list(m.deleted, `${f}.deleted`, LIMITS.maxDeletedPerProcess, (d, g) => str(d, g, LIMITS.maxPath, { required: true })),
    cmdline: str(m.cmdline, `${f}.cmdline`, LIMITS.maxCmdline),
    startedAtMs: int(m.startedAtMs, `${f}.startedAtMs`),
    container: str(m.container, `${f}.container`, S),
    restartKind: str(m.restartKind, `${f}.restartKind`, 32),
    ppid: uint(m.ppid, `${f}.ppid`, 2 ** 32 - 1),
  };
}

function kernelStatus(m: Record<string, unknown>): KernelStatus {
  return {
    running: str(m.running, "staleReport.kernel.running", S),
    runningVersion: str(m.runningVersion, "staleReport.kernel.runningVersion", S),
    installed: str(m.installed, "staleReport.kernel.installed", S),
    rebootRequired: m.rebootRequired === true,
    reason: str(m.reason, "staleReport.kernel.reason", S),
  };
}

function jobEvent(m: Record<string, unknown>): JobEvent {
  const phaseNum = m.phase ?? 0;
  const phase = phaseNum === pb.JobEvent.Phase.PHASE_START ? "start" : phaseNum === pb.JobEvent.Phase.PHASE_END ? "end" : null;
  if (!phase) throw invalid("jobEvent.phase", "must be PHASE_START or PHASE_END");
  const exitCode = m.exitCode == null ? null : int(m.exitCode, "jobEvent.exitCode");
  return {
    job: str(m.job, "jobEvent.job", 128, { required: true, re: JOB_NAME_RE }),
    runId: str(m.runId, "jobEvent.runId", 64, { required: true }),
    phase,
    startedAtMs: int(m.startedAtMs, "jobEvent.startedAtMs"),
    endedAtMs: int(m.endedAtMs, "jobEvent.endedAtMs"),
    exitCode,
    signal: str(m.signal, "jobEvent.signal", 32),
    outputTail: str(m.outputTail, "jobEvent.outputTail", LIMITS.maxOutputTail),
    message: str(m.message, "jobEvent.message", LIMITS.maxMessage),
    pid: uint(m.pid, "jobEvent.pid", 2 ** 32 - 1),
  };
}

function jobEventToWire(e: JobEvent): Record<string, unknown> {
  const { phase, exitCode, ...rest } = e;
  const wire: Record<string, unknown> = {
    ...rest,
    phase: phase === "start" ? pb.JobEvent.Phase.PHASE_START : pb.JobEvent.Phase.PHASE_END,
  };
  if (exitCode !== null) wire.exitCode = exitCode;
  return wire;
}

function addressReport(m: Record<string, unknown>): AddressReport {
  return {
    observations: list(m.observations, "addressReport.observations", LIMITS.maxObservations, (o, f) => observation(obj(o), f)),
    accepted: list(m.accepted, "addressReport.accepted", 2, (a, f) => accepted(obj(a), f)),
    disagreements: list(m.disagreements, "addressReport.disagreements", LIMITS.maxDisagreements, (d, f) => str(d, f, 512)),
  };
}

function family(value: unknown, field: string, allowUnknown: boolean): 0 | 4 | 6 {
  const n = value ?? 0;
  if (n === 4 || n === 6 || (allowUnknown && n === 0)) return n;
  throw invalid(field, "must be 4 or 6");
}

function observation(m: Record<string, unknown>, f: string): AddressObservation {
  return {
    source: str(m.source, `${f}.source`, 32, { required: true }),
    detail: str(m.detail, `${f}.detail`, S),
    address: str(m.address, `${f}.address`, 64),
    family: family(m.family, `${f}.family`, true),
    error: str(m.error, `${f}.error`, 512),
    rttMs: uint(m.rttMs, `${f}.rttMs`),
  };
}

function accepted(m: Record<string, unknown>, f: string): AcceptedAddress {
  return {
    address: str(m.address, `${f}.address`, 64, { required: true }),
    family: family(m.family, `${f}.family`, false) as 4 | 6,
    sources: list(m.sources, `${f}.sources`, 16, (s, g) => str(s, g, 32)),
    scope: str(m.scope, `${f}.scope`, 32),
  };
}

// ---------- collector -> agent ----------

export function encodeServerMessage(msg: ServerMessage): Uint8Array {
  return pb.ServerMessage.encode(pb.ServerMessage.fromObject({ [msg.kind]: msg.value })).finish();
}

export function decodeServerMessage(bytes: Uint8Array): ServerMessage {
  if (bytes.byteLength > LIMITS.maxFrameBytes) {
    throw new ProtocolError("LASTSEEN_ERR_FRAME_TOO_LARGE", `frame of ${bytes.byteLength} bytes exceeds ${LIMITS.maxFrameBytes}`);
  }
  let m: lastseen.v1.ServerMessage;
  try {
    m = pb.ServerMessage.decode(bytes);
  } catch (err) {
    throw new ProtocolError("LASTSEEN_ERR_FRAME_MALFORMED", `not a lastseen.v1.ServerMessage: ${(err as Error).message}`);
  }
  switch (m.body) {
    case "welcome": {
      const w = obj(m.welcome);
      return { kind: "welcome", value: {
        highWaterSeq: uint(w.highWaterSeq, "welcome.highWaterSeq"),
        host: str(w.host, "welcome.host", S),
        serverTimeMs: int(w.serverTimeMs, "welcome.serverTimeMs"),
        observedAddress: str(w.observedAddress, "welcome.observedAddress", 64),
        stunPort: uint(w.stunPort, "welcome.stunPort", 65535),
      } };
    }
    case "ack":
      return { kind: "ack", value: { seq: uint(obj(m.ack).seq, "ack.seq") } };
    case "reject": {
      const r = obj(m.reject);
      return { kind: "reject", value: {
        seq: uint(r.seq, "reject.seq"),
        eventId: str(r.eventId, "reject.eventId", 64),
        permanent: r.permanent === true,
        code: str(r.code, "reject.code", 64),
        reason: str(r.reason, "reject.reason", 1024),
      } };
    }
    case "throttle":
      return { kind: "throttle", value: { retryAfterMs: uint(obj(m.throttle).retryAfterMs, "throttle.retryAfterMs", 3600_000) } };
    default:
      throw new ProtocolError("LASTSEEN_ERR_FRAME_EMPTY_BODY", "server message carries no known message kind");
  }
}
