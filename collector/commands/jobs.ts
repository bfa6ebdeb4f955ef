// `lastseen jobs [HOST]`: last run, result, duration, next deadline and state of every job.
import { formatDuration } from "../../proto/duration.js";
import type { JobView } from "../queries/index.js";
import { ApiClient, type ClientOptions } from "./api-client.js";
import { ago, table } from "./table.js";

export async function jobsCommand(host: string | undefined, o: ClientOptions & { json?: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const jobs = await ApiClient.resolve(o).get<JobView[]>(`/v1/jobs${host ? `?host=${encodeURIComponent(host)}` : ""}`);
  if (o.json) {
    out.write(JSON.stringify(jobs, null, 2) + "\n");
    return 0;
  }
  if (jobs.length === 0) {
    out.write("no jobs reported yet: wrap one with `lastseen-agent job run NAME -- COMMAND`\n");
    return 0;
  }
  const now = Date.now();
  out.write(table(["HOST", "JOB", "STATE", "LAST RESULT", "LAST START", "DURATION", "NEXT DEADLINE"], jobs.map((j) => [
    j.host, j.job, j.state, j.lastResult === "failed" ? `failed (${j.signal ?? `exit ${j.exitCode}`})` : j.lastResult,
    ago(j.lastStart, now), j.durationMs === null ? null : formatDuration(j.durationMs), j.nextDeadline ?? (j.schedule ? null : "no expectation"),
  ])));
  const hints = jobs.filter((j) => j.hint);
  if (hints.length > 0) out.write(`\n${hints.length} job(s) without an expectation are not alerted; e.g.\n  ${hints[0]!.hint}\n`);
  return 0;
}
