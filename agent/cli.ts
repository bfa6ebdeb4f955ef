#!/usr/bin/env -S node --v8-pool-size=0 --max-semi-space-size=1 --no-opt --no-maglev --no-sparkplug
// `lastseen-agent`: the agent daemon and its one-shot commands. Subcommands load lazily, so a
// one-shot command starts fast.
//
// The V8 flags above keep the agent small: it mostly waits, and its work (reading /proc,
// sockets, fsync) is in native code, so it runs on the interpreter alone, without optimizing
// compilers and their helper threads. Measured: idle RSS 65 MiB -> 56 MiB, the same scan time
// on 700 processes (docs/benchmarks.md). Run it with plain `node` to compare.
import { Command } from "commander";
import { runAction } from "./commands/exit.js";
import type { JobRequest } from "./commands/job.js";
import { VERSION } from "../proto/version.js";

const program = new Command("lastseen-agent")
  .description("lastseen agent: heartbeat, stale libraries, job results and public IP, sent to your collector")
  .version(VERSION)
  .showHelpAfterError();

program.command("run")
  .description("run the agent in the foreground until SIGTERM")
  .option("--config <file>", "TOML config file, env LASTSEEN_AGENT_CONFIG")
  .option("--collector <url>", "collector URL, ws://HOST:PORT or wss://HOST:PORT, env LASTSEEN_COLLECTOR")
  .option("--token <token>", "this host's token (prefer LASTSEEN_TOKEN or --token-file: argv is visible to other users)")
  .option("--token-file <file>", "file holding the token, env LASTSEEN_TOKEN_FILE")
  .option("--state <dir>", "state directory (outbox, spool), env LASTSEEN_STATE")
  .option("--heartbeat <duration>", "heartbeat interval, e.g. 30s, env LASTSEEN_HEARTBEAT")
  .option("--ca-file <file>", "CA certificate (PEM) for a wss:// collector with a private CA")
  .option("--log-level <level>", "fatal|error|warn|info|debug|trace")
  .action((o) => runAction(async () => (await import("./commands/run.js")).runCommand(o)));

const job = program.command("job")
  .description("report backup and other scheduled jobs (works while the agent or the collector is down)");
const stateOpt = ["--state <dir>", "state directory of the agent, env LASTSEEN_STATE"] as const;
job.command("run <name> [command...]")
  .description("run COMMAND (after --), report its start and end, exit with its exit code")
  .option(...stateOpt)
  .action((name: string, command: string[], o: { state?: string }) => runJob({ action: "run", name, command }, o.state));
job.command("start <name>")
  .description("report that a job started; prints the run id")
  .option(...stateOpt)
  .action((name: string, o: { state?: string }) => runJob({ action: "start", name, stateDir: "" }, o.state));
job.command("ok <name>")
  .description("report that a job ended successfully")
  .option(...stateOpt)
  .option("--run-id <id>", "run id printed by `job start` (default: the last start of NAME)")
  .option("--message <text>", "a note to keep with the result")
  .action((name: string, o: { state?: string; runId?: string; message?: string }) => runJob({ action: "ok", name, stateDir: "", runId: o.runId, message: o.message }, o.state));
job.command("fail <name>")
  .description("report that a job failed")
  .option(...stateOpt)
  .option("--run-id <id>", "run id printed by `job start` (default: the last start of NAME)")
  .option("--exit-code <n>", "the job's exit code")
  .option("--message <text>", "what went wrong")
  .action((name: string, o: { state?: string; runId?: string; message?: string; exitCode?: string }) =>
    runJob({ action: "fail", name, stateDir: "", runId: o.runId, message: o.message, exitCode: o.exitCode }, o.state));

function runJob(req: JobRequest, state: string | undefined): Promise<void> {
  return runAction(async () => {
    const [{ jobCommand }, { spoolEmitter }, { defaultStateDir }] = await Promise.all([
      import("./commands/job.js"), import("./commands/spool-emit.js"), import("./state-dir.js"),
    ]);
    const stateDir = state ?? defaultStateDir();
    if ("stateDir" in req) req.stateDir = stateDir;
    return jobCommand(req, { emit: spoolEmitter(stateDir) });
  });
}

program.command("scan")
  .description("list processes running deleted libraries or executables, grouped by what to restart, and a pending reboot")
  .option("--json", "JSON output for scripts")
  .option("--root <dir>", "read proc/, etc/, boot/ under this directory instead of / (fixtures, chroots)")
  .option("--containers", "also report processes inside containers (other PID namespaces)")
  .option("--ignore <pattern...>", "extra path patterns to ignore, added to the defaults")
  .action((o: { json?: boolean; root?: string; containers?: boolean; ignore?: string[] }) => runAction(async () =>
    (await import("./commands/scan.js")).scanCommand({ json: o.json ?? false, root: o.root, containers: o.containers, ignore: o.ignore }, process.stdout)));

program.command("ip")
  .description("find this host's public addresses once and print what each source said")
  .option("--json", "JSON output")
  .option("--collector <url>", "the collector, whose STUN responder is asked (env LASTSEEN_COLLECTOR)")
  .option("--stun-port <port>", "the collector's STUN port", "3478")
  .option("--stun <host:port...>", "extra STUN servers")
  .action((o: { json?: boolean; collector?: string; stunPort: string; stun?: string[] }) => runAction(async () =>
    (await import("./commands/ip.js")).ipCommand({
      json: o.json, collector: o.collector ?? process.env.LASTSEEN_COLLECTOR, collectorStunPort: Number(o.stunPort), stun: o.stun,
    }, process.stdout)));

program.command("trigger <probe>")
  .description("ask the running agent to run a probe now (scan, ip); used by package-manager hooks")
  .option("--state <dir>", "state directory of the running agent")
  .action((probe, o) => runAction(async () => (await import("./commands/trigger.js")).triggerCommand(probe, o, process.stdout)));

program.command("init")
  .description("write a commented config file with every key and its default, and print the next steps")
  .option("--path <file>", "where to write; default /etc/lastseen-agent/agent.toml as root, else ~/.config/lastseen-agent/agent.toml; - for stdout")
  .option("--collector <url>", "fill in the collector URL (wss://HOST or ws://HOST:PORT)")
  .option("--token-file <file>", "fill in token_file")
  .option("--state <dir>", "the state directory to write into the file")
  .option("--force", "replace an existing file")
  .action((o) => runAction(async () => (await import("./commands/init.js")).initAgentCommand(o, process.stdout)));

program.command("status")
  .description("is the agent running, connected, and how many events wait")
  .option("--state <dir>", "state directory of the running agent")
  .option("--json", "JSON output")
  .action((o) => runAction(async () => (await import("./commands/trigger.js")).statusCommand(o, process.stdout)));

await program.parseAsync(process.argv);
