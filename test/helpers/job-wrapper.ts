// A stand-in for `lastseen-agent job run` in its own process, for integration tests that signal
// the wrapper: runs runJob() and appends every emitted body as a JSON line to EVENTS_FILE.
//
//   node job-wrapper.js EVENTS_FILE NAME -- CMD [ARGS...]
import { appendFileSync } from "node:fs";
import { runJob } from "../../agent/jobs/run.js";

const [eventsFile, name, sep, command, ...args] = process.argv.slice(2);
if (!eventsFile || !name || sep !== "--" || !command) {
  process.stderr.write("usage: job-wrapper EVENTS_FILE NAME -- CMD [ARGS...]\n");
  process.exit(2);
}
process.exitCode = await runJob({
  name, command, args,
  emit: async (body) => appendFileSync(eventsFile, `${JSON.stringify(body)}\n`),
});
