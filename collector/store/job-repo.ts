// Scheduled jobs per host: the runs reported by `lastseen-agent job ...` and the facts the job
// rules need (last start, end, result, last successful end, a run still going).
import type { JobEvent, JobExpectation } from "../../proto/types.js";
import type { Db } from "./db.js";
import { cachedPrepare, type Prepare } from "./statements.js";

export interface JobRecord {
  id: number;
  hostId: number;
  host: string;
  job: string;
  firstSeen: number;
  declared: JobExpectation | null;
  windowStart: number;
  lastStart: number | null;
  lastEnd: number | null;
  lastExitCode: number | null;
  lastSignal: string | null;
  lastResult: "ok" | "failed" | "running" | null;
  lastDurationMs: number | null;
  lastOutputTail: string | null;
  lastMessage: string | null;
  lastOkEnd: number | null;
  runningRunId: string | null;
  runningSince: number | null;
  runs: number;
}

export interface JobRun {
  runId: string;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  durationMs: number | null;
  outputTail: string | null;
  message: string | null;
}

interface Row {
  id: number; host_id: number; host: string; job: string; first_seen: number; declared: string | null; window_start: number;
  last_start: number | null; last_end: number | null; last_exit_code: number | null; last_signal: string | null;
  last_result: JobRecord["lastResult"]; last_duration_ms: number | null; last_output_tail: string | null; last_message: string | null;
  last_ok_end: number | null; running_run_id: string | null; running_since: number | null; runs: number;
}

const toRecord = (r: Row): JobRecord => ({
  id: r.id, hostId: r.host_id, host: r.host, job: r.job, firstSeen: r.first_seen,
  declared: r.declared ? (JSON.parse(r.declared) as JobExpectation) : null, windowStart: r.window_start,
  lastStart: r.last_start, lastEnd: r.last_end, lastExitCode: r.last_exit_code, lastSignal: r.last_signal, lastResult: r.last_result,
  lastDurationMs: r.last_duration_ms, lastOutputTail: r.last_output_tail, lastMessage: r.last_message, lastOkEnd: r.last_ok_end,
  runningRunId: r.running_run_id, runningSince: r.running_since, runs: r.runs,
});

const SELECT = "SELECT j.*, h.name AS host FROM jobs j JOIN hosts h ON h.id = j.host_id";

export class JobRepo {
  private readonly prep: Prepare;

  constructor(private readonly db: Db) {
    this.prep = cachedPrepare(db);
  }

  private ensure(hostId: number, job: string, now: number): void {
    this.prep("INSERT INTO jobs (host_id, job, first_seen, window_start) VALUES (?, ?, ?, ?) ON CONFLICT (host_id, job) DO NOTHING").run(hostId, job, now, now);
  }

  get(hostId: number, job: string): JobRecord | null {
    const r = this.prep<[number, string], Row>(`${SELECT} WHERE j.host_id = ? AND j.job = ?`).get(hostId, job);
    return r ? toRecord(r) : null;
  }

  list(hostId?: number): JobRecord[] {
    const rows = hostId === undefined
      ? this.prep<[], Row>(`${SELECT} ORDER BY h.name, j.job`).all()
      : this.prep<[number], Row>(`${SELECT} WHERE j.host_id = ? ORDER BY j.job`).all(hostId);
    return rows.map(toRecord);
  }

  runs(hostId: number, job: string, limit: number): JobRun[] {
    return this.prep<[number, string, number], { run_id: string; started_at: number | null; ended_at: number | null; exit_code: number | null; signal: string | null; duration_ms: number | null; output_tail: string | null; message: string | null }>(
      "SELECT * FROM job_runs WHERE host_id = ? AND job = ? ORDER BY coalesce(ended_at, started_at) DESC, id DESC LIMIT ?").all(hostId, job, limit)
      .map((r) => ({ runId: r.run_id, startedAt: r.started_at, endedAt: r.ended_at, exitCode: r.exit_code, signal: r.signal, durationMs: r.duration_ms, outputTail: r.output_tail, message: r.message }));
  }

  /** Records the agent's declared expectations (the collector's config wins when both exist). */
  declare(hostId: number, expectations: readonly JobExpectation[], now: number): void {
    for (const e of expectations) {
      this.ensure(hostId, e.job, now);
      this.prep("UPDATE jobs SET declared = ? WHERE host_id = ? AND job = ?").run(JSON.stringify(e), hostId, e.job);
    }
  }

  /** Restarts the judging window of every job of a host (it came back, or a silence ended). */
  restartWindows(hostId: number, at: number): void {
    this.prep("UPDATE jobs SET window_start = max(window_start, ?) WHERE host_id = ?").run(at, hostId);
  }

  /** Applies a start or end event. Events may arrive late or out of order; the newest wins. */
  apply(hostId: number, e: JobEvent, now: number): void {
    this.ensure(hostId, e.job, now);
    if (e.phase === "start") {
      this.prep(`INSERT INTO job_runs (host_id, job, run_id, started_at) VALUES (?, ?, ?, ?)
          ON CONFLICT (host_id, run_id) DO UPDATE SET started_at = excluded.started_at`).run(hostId, e.job, e.runId, e.startedAtMs);
      this.prep(`UPDATE jobs SET last_start = ?, running_run_id = ?, running_since = ?,
            last_result = CASE WHEN last_end IS NULL OR last_end <= ? THEN 'running' ELSE last_result END
          WHERE host_id = ? AND job = ? AND (last_start IS NULL OR last_start <= ?)
            AND NOT EXISTS (SELECT 1 FROM job_runs WHERE host_id = ? AND run_id = ? AND ended_at IS NOT NULL)`)
        .run(e.startedAtMs, e.runId, e.startedAtMs, e.startedAtMs, hostId, e.job, e.startedAtMs, hostId, e.runId);
      return;
    }
    const ok = e.exitCode === 0 && !e.signal;
    const started = e.startedAtMs || e.endedAtMs;
    const duration = Math.max(0, e.endedAtMs - started);
    this.prep(`INSERT INTO job_runs (host_id, job, run_id, started_at, ended_at, exit_code, signal, duration_ms, output_tail, message)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (host_id, run_id) DO UPDATE SET ended_at = excluded.ended_at, exit_code = excluded.exit_code, signal = excluded.signal,
          duration_ms = excluded.duration_ms, output_tail = excluded.output_tail, message = excluded.message,
          started_at = coalesce(job_runs.started_at, excluded.started_at)`)
      .run(hostId, e.job, e.runId, started, e.endedAtMs, e.exitCode, e.signal || null, duration, e.outputTail, e.message);
    this.prep(`UPDATE jobs SET runs = runs + 1,
          last_ok_end = CASE WHEN ? THEN max(coalesce(last_ok_end, 0), ?) ELSE last_ok_end END,
          running_run_id = CASE WHEN running_run_id = ? THEN NULL ELSE running_run_id END,
          running_since = CASE WHEN running_run_id = ? THEN NULL ELSE running_since END
        WHERE host_id = ? AND job = ?`).run(ok ? 1 : 0, e.endedAtMs, e.runId, e.runId, hostId, e.job);
    // The newest end decides the "last run" fields.
    this.prep(`UPDATE jobs SET last_end = ?, last_start = max(coalesce(last_start, 0), ?), last_exit_code = ?, last_signal = ?,
          last_result = CASE WHEN running_run_id IS NOT NULL AND running_since > ? THEN 'running' WHEN ? THEN 'ok' ELSE 'failed' END,
          last_duration_ms = ?, last_output_tail = ?, last_message = ?
        WHERE host_id = ? AND job = ? AND (last_end IS NULL OR last_end <= ?)`)
      .run(e.endedAtMs, started, e.exitCode, e.signal || null, e.endedAtMs, ok ? 1 : 0, duration, e.outputTail, e.message, hostId, e.job, e.endedAtMs);
  }
}
