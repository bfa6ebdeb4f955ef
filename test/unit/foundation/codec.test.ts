// The wire codec: every message kind survives a round trip, and every kind of bad input (malformed,
// truncated, oversized, unknown kind, over-long strings and lists, invalid job names) is refused
// with a ProtocolError that carries the right code and names the field.
import { describe, expect, it } from "vitest";
import { checkBody, decodeEnvelope, decodeServerMessage, encodeEnvelope, encodeServerMessage } from "../../../proto/codec.js";
import { ProtocolError } from "../../../proto/errors.js";
import { LIMITS } from "../../../proto/limits.js";
import type { AgentBody, Envelope, JobEvent, ServerMessage } from "../../../proto/types.js";

const jobEvent = (over: Partial<JobEvent> = {}): JobEvent => ({
  job: "backup.nightly", runId: "6f1c2d9e-run", phase: "end", startedAtMs: 1_700_000_000_000, endedAtMs: 1_700_000_060_000,
  exitCode: 3, signal: "", outputTail: "rsync: error\n", message: "disk full", pid: 4242, ...over,
});

const BODIES: AgentBody[] = [
  { kind: "hello", value: {
    agentVersion: "0.1.0", hostname: "web1", bootId: "b00t", heartbeatIntervalMs: 30_000, streamId: "stream-1", outboxDropped: 7,
    jobs: [{ job: "backup", every: "24h", cron: "", timezone: "", grace: "1h", maxRuntime: "2h" }],
    kernelRelease: "6.1.0-18-amd64", osPrettyName: "Debian GNU/Linux 12 (bookworm)",
  } },
  { kind: "heartbeat", value: { outboxPending: 12, outboxDropped: 3, uptimeS: 86_400 } },
  { kind: "staleReport", value: {
    scannedAtMs: 1_700_000_000_000,
    processes: [{ pid: 812, name: "cron", unit: "cron.service", user: "root", deleted: ["/usr/lib/x86_64-linux-gnu/libc.so.6"],
      cmdline: "/usr/sbin/cron -f", startedAtMs: 1_699_000_000_000, container: "", restartKind: "unit", ppid: 1 }],
    kernel: { running: "6.1.0-17-amd64", runningVersion: "6.1.69-1", installed: "6.1.0-18-amd64", rebootRequired: true, reason: "newer kernel installed" },
    skippedVanished: 1, skippedDenied: 2, scannedProcesses: 190,
  } },
  { kind: "staleReport", value: { scannedAtMs: 5, processes: [], kernel: null, skippedVanished: 0, skippedDenied: 0, scannedProcesses: 0 } },
  { kind: "jobEvent", value: jobEvent() },
  { kind: "jobEvent", value: jobEvent({ phase: "start", endedAtMs: 0, exitCode: null, outputTail: "" }) },
  { kind: "jobEvent", value: jobEvent({ exitCode: null, signal: "SIGKILL" }) },
  { kind: "jobEvent", value: jobEvent({ exitCode: 0 }) },
  { kind: "addressReport", value: {
    observations: [
      { source: "stun", detail: "stun:collector", address: "203.0.113.7", family: 4, error: "", rttMs: 12 },
      { source: "http", detail: "http://127.0.0.1:1/", address: "", family: 0, error: "timeout", rttMs: 0 },
    ],
    accepted: [{ address: "2001:db8::7", family: 6, sources: ["stun", "interface"], scope: "public" }],
    disagreements: ["4: stun says 203.0.113.7, http says 198.51.100.1"],
  } },
];

function expectProtocolError(fn: () => unknown, code: ProtocolError["code"], mentions?: string): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected a ProtocolError").toBeInstanceOf(ProtocolError);
  const e = caught as ProtocolError;
  expect(e.code).toBe(code);
  if (mentions) expect(e.message).toContain(mentions);
  return e;
}

const env = (body: AgentBody, seq = 1): Envelope => ({ seq, eventId: "3c7e0b9a-0000-4000-8000-000000000001", sentAtMs: 1_700_000_000_123, body });

describe("codec round trip", () => {
  it.each(BODIES.map((b, i) => [`${b.kind} #${i}`, b] as const))("agent message %s", (_name, body) => {
    const e = env(body, body.kind === "hello" || body.kind === "heartbeat" ? 0 : 41);
    expect(decodeEnvelope(encodeEnvelope(e))).toEqual(e);
    expect(checkBody(body)).toEqual(body);
  });

  it("large seq numbers (beyond 2^32) survive", () => {
    const e = env(BODIES[4]!, 2 ** 40 + 3);
    expect(decodeEnvelope(encodeEnvelope(e)).seq).toBe(2 ** 40 + 3);
  });

  const SERVER: ServerMessage[] = [
    { kind: "welcome", value: { highWaterSeq: 2 ** 35, host: "web1", serverTimeMs: 1_700_000_000_000, observedAddress: "192.0.2.4", stunPort: 3478 } },
    { kind: "ack", value: { seq: 99 } },
    { kind: "reject", value: { seq: 5, eventId: "e5", permanent: true, code: "LASTSEEN_ERR_FRAME_INVALID", reason: "jobEvent.job: bad" } },
    { kind: "reject", value: { seq: 6, eventId: "e6", permanent: false, code: "LASTSEEN_ERR_STORE_UNAVAILABLE", reason: "disk full" } },
    { kind: "throttle", value: { retryAfterMs: 250 } },
  ];
  it.each(SERVER.map((m) => [m.kind, m] as const))("server message %s", (_name, msg) => {
    expect(decodeServerMessage(encodeServerMessage(msg))).toEqual(msg);
  });
});

describe("codec refuses bad input", () => {
  it("malformed bytes: FRAME_MALFORMED", () => {
    expectProtocolError(() => decodeEnvelope(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])), "LASTSEEN_ERR_FRAME_MALFORMED", "lastseen.v1.Envelope");
    expectProtocolError(() => decodeServerMessage(Uint8Array.from([0x0f, 0x07])), "LASTSEEN_ERR_FRAME_MALFORMED", "lastseen.v1.ServerMessage");
  });

  it("a truncated frame: FRAME_MALFORMED", () => {
    const full = encodeEnvelope(env(BODIES[2]!, 3));
    // Cut inside the length-delimited body: the declared length runs past the end.
    for (const cut of [full.length - 1, full.length - 10, Math.floor(full.length / 2)]) {
      expectProtocolError(() => decodeEnvelope(full.subarray(0, cut)), "LASTSEEN_ERR_FRAME_MALFORMED");
    }
  });

  it("a frame over the limit: FRAME_TOO_LARGE, before any parsing", () => {
    const e = expectProtocolError(() => decodeEnvelope(new Uint8Array(LIMITS.maxFrameBytes + 1)), "LASTSEEN_ERR_FRAME_TOO_LARGE", String(LIMITS.maxFrameBytes));
    expect(e.message).toContain(String(LIMITS.maxFrameBytes + 1));
    expectProtocolError(() => decodeServerMessage(new Uint8Array(LIMITS.maxFrameBytes + 1)), "LASTSEEN_ERR_FRAME_TOO_LARGE");
  });

  it("an envelope with only an unknown field (a newer message kind): FRAME_EMPTY_BODY", () => {
    // seq = 1 (field 1, varint), then field 99 (varint) = 1: a kind this collector does not know.
    const bytes = Uint8Array.from([0x08, 0x01, 0x98, 0x06, 0x01]);
    expectProtocolError(() => decodeEnvelope(bytes), "LASTSEEN_ERR_FRAME_EMPTY_BODY", "no known message kind");
    // Same for field 99 as a length-delimited submessage.
    expectProtocolError(() => decodeEnvelope(Uint8Array.from([0x9a, 0x06, 0x02, 0x08, 0x01])), "LASTSEEN_ERR_FRAME_EMPTY_BODY");
    expectProtocolError(() => decodeEnvelope(new Uint8Array(0)), "LASTSEEN_ERR_FRAME_EMPTY_BODY");
    expectProtocolError(() => decodeServerMessage(Uint8Array.from([0x98, 0x06, 0x01])), "LASTSEEN_ERR_FRAME_EMPTY_BODY");
  });

  it("unknown fields beside a known body are ignored", () => {
    const known = encodeEnvelope(env(BODIES[1]!, 0));
    const withUnknown = new Uint8Array([...known, 0x98, 0x06, 0x01]);
    expect(decodeEnvelope(withUnknown).body).toEqual(BODIES[1]);
  });

  it("strings over their limit name the field and keep the envelope's seq, id and kind", () => {
    const long = "x".repeat(LIMITS.maxOutputTail + 1);
    const e = expectProtocolError(() => decodeEnvelope(encodeEnvelope(env({ kind: "jobEvent", value: jobEvent({ outputTail: long }) }, 17))),
      "LASTSEEN_ERR_FRAME_INVALID", "jobEvent.outputTail");
    expect(e.message).toContain(`limit ${LIMITS.maxOutputTail}`);
    expect(e.field).toBe("jobEvent.outputTail");
    expect(e.envelope).toEqual({ seq: 17, eventId: "3c7e0b9a-0000-4000-8000-000000000001", kind: "jobEvent" });

    const hello = BODIES[0]! as Extract<AgentBody, { kind: "hello" }>;
    expectProtocolError(() => decodeEnvelope(encodeEnvelope(env({ kind: "hello", value: { ...hello.value, hostname: "h".repeat(LIMITS.maxShortString + 1) } }, 0))),
      "LASTSEEN_ERR_FRAME_INVALID", "hello.hostname");
    expectProtocolError(() => decodeEnvelope(encodeEnvelope({ ...env(BODIES[1]!, 0), eventId: "e".repeat(65) })), "LASTSEEN_ERR_FRAME_INVALID", "eventId");
  });

  it("lists over their limit name the field", () => {
    const hello = BODIES[0]! as Extract<AgentBody, { kind: "hello" }>;
    const jobs = Array.from({ length: LIMITS.maxJobs + 1 }, (_, i) => ({ job: `j${i}`, every: "1h", cron: "", timezone: "", grace: "", maxRuntime: "" }));
    const e = expectProtocolError(() => decodeEnvelope(encodeEnvelope(env({ kind: "hello", value: { ...hello.value, jobs } }, 0))),
      "LASTSEEN_ERR_FRAME_INVALID", "hello.jobs");
    expect(e.message).toContain(`limit ${LIMITS.maxJobs}`);

    const report = BODIES[8]! as Extract<AgentBody, { kind: "addressReport" }>;
    const disagreements = Array.from({ length: LIMITS.maxDisagreements + 1 }, () => "d");
    expectProtocolError(() => checkBody({ kind: "addressReport", value: { ...report.value, disagreements } }), "LASTSEEN_ERR_FRAME_INVALID", "addressReport.disagreements");
    const stale = BODIES[2]! as Extract<AgentBody, { kind: "staleReport" }>;
    const proc = stale.value.processes[0]!;
    expectProtocolError(() => checkBody({ kind: "staleReport", value: { ...stale.value, processes: [proc, { ...proc, deleted: ["/x".repeat(LIMITS.maxPath)] }] } }),
      "LASTSEEN_ERR_FRAME_INVALID", "staleReport.processes[1].deleted[0]");
  });

  it.each(["bad name", "-leading-dash", "", "x".repeat(129), "semi;colon", "new\nline", "ünïcode"])("job name %j is refused", (job) => {
    const e = expectProtocolError(() => checkBody({ kind: "jobEvent", value: jobEvent({ job }) }), "LASTSEEN_ERR_FRAME_INVALID", "jobEvent.job");
    expect(e.field).toBe("jobEvent.job");
    // Also when it arrives from the network.
    expectProtocolError(() => decodeEnvelope(encodeEnvelope(env({ kind: "jobEvent", value: jobEvent({ job }) }))), "LASTSEEN_ERR_FRAME_INVALID", "jobEvent.job");
  });

  it.each(["backup", "db:dump@main", "a.b_c+d-e", "x".repeat(128)])("job name %j is accepted", (job) => {
    expect(checkBody({ kind: "jobEvent", value: jobEvent({ job }) })).toEqual({ kind: "jobEvent", value: jobEvent({ job }) });
  });

  it("a job name in Hello's expectations is checked too", () => {
    const hello = BODIES[0]! as Extract<AgentBody, { kind: "hello" }>;
    const jobs = [{ job: "ok", every: "1h", cron: "", timezone: "", grace: "", maxRuntime: "" }, { job: "not ok", every: "1h", cron: "", timezone: "", grace: "", maxRuntime: "" }];
    expectProtocolError(() => checkBody({ kind: "hello", value: { ...hello.value, jobs } }), "LASTSEEN_ERR_FRAME_INVALID", "hello.jobs[1].job");
  });

  it("required fields: a Hello without stream id, a job event without run id or phase", () => {
    const hello = BODIES[0]! as Extract<AgentBody, { kind: "hello" }>;
    expectProtocolError(() => checkBody({ kind: "hello", value: { ...hello.value, streamId: "" } }), "LASTSEEN_ERR_FRAME_INVALID", "hello.streamId");
    expectProtocolError(() => checkBody({ kind: "jobEvent", value: jobEvent({ runId: "" }) }), "LASTSEEN_ERR_FRAME_INVALID", "jobEvent.runId");
    // PHASE_UNSPECIFIED on the wire: seq 1, event id "e", field 13 (job_event) holding only
    // job = "a" and run_id = "r".
    const bytes = Uint8Array.from([0x08, 0x01, 0x12, 0x01, 0x65, 0x6a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x72]);
    expectProtocolError(() => decodeEnvelope(bytes), "LASTSEEN_ERR_FRAME_INVALID", "jobEvent.phase");
  });

  it("a spooled event (seq > 0) without an event id is refused", () => {
    const env = { seq: 1, eventId: "", sentAtMs: 1, body: { kind: "jobEvent" as const, value: jobEvent({}) } };
    expectProtocolError(() => decodeEnvelope(encodeEnvelope(env)), "LASTSEEN_ERR_FRAME_INVALID", "eventId");
  });

  it("a seq beyond 2^53 is refused, not rounded", () => {
    // field 1 varint 2^63 (10 bytes), then a heartbeat (field 11, empty).
    const bytes = Uint8Array.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x5a, 0x00]);
    expectProtocolError(() => decodeEnvelope(bytes), "LASTSEEN_ERR_FRAME_INVALID", "seq");
  });

  it("an address family other than 4 or 6 in an accepted address is refused", () => {
    const report = BODIES[8]! as Extract<AgentBody, { kind: "addressReport" }>;
    const accepted = [{ ...report.value.accepted[0]!, family: 5 as 4 }];
    expectProtocolError(() => checkBody({ kind: "addressReport", value: { ...report.value, accepted } }), "LASTSEEN_ERR_FRAME_INVALID", "addressReport.accepted[0].family");
  });
});
