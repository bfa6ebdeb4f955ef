#!/usr/bin/env node
// `lastseen`: the collector and the questions you ask it. Subcommands load their code lazily.
import { Command, Option } from "commander";
import { runAction } from "./commands/exit.js";
import { VERSION } from "../proto/version.js";

const program = new Command("lastseen")
  .description("lastseen collector and CLI: where are my servers, and what do they need?")
  .version(VERSION)
  .showHelpAfterError()
  .configureOutput({ outputError: (s, write) => write(s) });

const clientOpts = (c: Command) => c
  .option("--data <dir>", "the collector's data directory (finds its API address and admin token there)")
  .option("--collector <url>", "collector URL (instead of --data), env LASTSEEN_COLLECTOR")
  .option("--token <token>", "admin or read-only token (instead of --data), env LASTSEEN_ADMIN_TOKEN")
  .option("--ca-file <file>", "CA certificate (PEM) of a collector with a private CA, env LASTSEEN_CA_FILE");

program.command("serve")
  .description("run the collector in the foreground until SIGTERM (SIGHUP reloads TLS files)")
  .option("--config <file>", "TOML config file, env LASTSEEN_CONFIG")
  .option("--listen <host:port>", "address to listen on (default 127.0.0.1:7070), env LASTSEEN_LISTEN")
  .option("--data <dir>", "data directory, env LASTSEEN_DATA")
  .option("--log-level <level>", "fatal|error|warn|info|debug|trace")
  .action((o) => runAction(async () => (await import("./commands/serve.js")).serveCommand(o)));

program.command("init")
  .description("write a commented config file with every key and its default, and print the next steps")
  .command("collector")
  .description("the collector's config file (for lastseen serve --config FILE)")
  .option("--path <file>", "where to write; default /etc/lastseen/lastseen.toml as root, else ~/.config/lastseen/lastseen.toml; - for stdout")
  .option("--data <dir>", "the data directory to write into the file (default: the one lastseen serve would use)")
  .option("--force", "replace an existing file")
  .action((o) => runAction(async () => (await import("./commands/init.js")).initCollectorCommand(o, process.stdout)));

program.command("up")
  .description("first run: a collector with its embedded defaults and an agent for this machine")
  .option("--data <dir>", "data directory")
  .option("--listen <host:port>", "address to listen on", "127.0.0.1:7070")
  .action((o) => runAction(async () => (await import("./commands/up.js")).upCommand(o)));

const token = program.command("token").description("manage agent, admin and read-only tokens");
token.command("add <name>")
  .description("create a token for host NAME and print it (only the token, on stdout)")
  .option("--data <dir>", "data directory")
  .option("--config <file>", "TOML config file")
  .addOption(new Option("--role <role>", "agent (a host), read (read-only API) or admin").choices(["agent", "read", "admin"]).default("agent"))
  .option("--additional", "add a second token even though the name has one (rotation)")
  .action((name, o) => runAction(async () => (await import("./commands/token.js")).tokenAdd(name, o, process.stdout)));
token.command("list")
  .description("list tokens (hints only, never the secrets)")
  .option("--data <dir>", "data directory")
  .option("--config <file>", "TOML config file")
  .option("--json", "JSON output")
  .action((o) => runAction(async () => (await import("./commands/token.js")).tokenList(o, process.stdout)));
token.command("revoke <name>")
  .description("revoke every active token of NAME")
  .option("--data <dir>", "data directory")
  .option("--config <file>", "TOML config file")
  .action((name, o) => runAction(async () => (await import("./commands/token.js")).tokenRevoke(name, o, process.stdout)));

clientOpts(program.command("hosts").description("every host at a glance").option("--json", "JSON output"))
  .action((o) => runAction(async () => (await import("./commands/hosts.js")).hostsCommand(o, process.stdout)));

clientOpts(program.command("host <name>").description("everything known about one host").option("--json", "JSON output"))
  .action((name, o) => runAction(async () => (await import("./commands/hosts.js")).hostCommand(name, o, process.stdout)));

clientOpts(program.command("ip <name>").description("the host's current public address (IPv4 first)")
  .option("-4", "IPv4 only").option("-6", "IPv6 only")
  .option("--history", "every address the host had, newest first")
  .option("--json", "JSON output"))
  .action((name, o) => runAction(async () => (await import("./commands/ip.js")).ipCommand(name, { ...o, four: o["4"], six: o["6"] }, process.stdout)));

clientOpts(program.command("jobs [host]").description("scheduled jobs: last run, result, duration, next deadline, state").option("--json", "JSON output"))
  .action((host, o) => runAction(async () => (await import("./commands/jobs.js")).jobsCommand(host, o, process.stdout)));

clientOpts(program.command("alerts").description("what is firing, recent notifications and their delivery status")
  .option("--host <name>", "only this host").option("--limit <n>", "how many recent notifications", "30").option("--json", "JSON output"))
  .action((o) => runAction(async () => (await import("./commands/alerts.js")).alertsCommand(o, process.stdout)));

const silence = program.command("silence").description("pause alerts for a host (maintenance)");
clientOpts(silence.command("add <host>", { isDefault: true }).description("silence HOST for a while")
  .requiredOption("--for <duration>", "how long, e.g. 2h").option("--reason <text>", "why (shown in lastseen alerts)"))
  .action((host, o) => runAction(async () => (await import("./commands/alerts.js")).silenceAdd(host, o, process.stdout)));
clientOpts(silence.command("list").description("active silences").option("--json", "JSON output"))
  .action((o) => runAction(async () => (await import("./commands/alerts.js")).silenceList(o, process.stdout)));
clientOpts(silence.command("remove <id>").description("end a silence now"))
  .action((id, o) => runAction(async () => (await import("./commands/alerts.js")).silenceRemove(id, o, process.stdout)));

const notify = program.command("notify").description("notification channels");
clientOpts(notify.command("test").description("send a test message to each channel and report")
  .option("--channel <name>", "only this channel").option("--json", "JSON output"))
  .action((o) => runAction(async () => (await import("./commands/alerts.js")).notifyTest(o, process.stdout)));

await program.parseAsync(process.argv);
