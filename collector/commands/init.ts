// `lastseen init collector [--path FILE] [--force]`: writes a commented config file with every key
// and its default (collector/init/config-template.ts) and prints the next steps.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { collectorConfigTemplate } from "../init/config-template.js";
import { writeConfigFile } from "../../proto/config-file.js";

export interface InitCollectorFlags {
  path?: string;
  force?: boolean;
  data?: string;
}

/** /etc/lastseen/lastseen.toml for root, else $XDG_CONFIG_HOME/lastseen/lastseen.toml. */
export function defaultCollectorConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return "/etc/lastseen/lastseen.toml";
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "lastseen", "lastseen.toml");
}

export function initCollectorCommand(flags: InitCollectorFlags, out: NodeJS.WritableStream): void {
  const text = collectorConfigTemplate({ data: flags.data });
  if (flags.path === "-") return void out.write(text);
  const path = resolve(flags.path ?? defaultCollectorConfigPath());
  writeConfigFile(path, text, flags.force ?? false);
  const steps: [string, string][] = [
    ["edit it", "listen, trusted_proxies (behind Caddy or nginx), [[notify.email]], [[jobs]]"],
    ["start the collector", `lastseen serve --config ${path}`],
    ["  or as a service", "deploy/systemd/lastseen.service (docs/deploy.md)"],
    ["a token per host", `lastseen token add HOST --config ${path}`],
    ["on that host", "lastseen-agent init, then put the token in /etc/lastseen-agent/token (mode 0640)"],
    ["test the channels", "lastseen notify test"],
    ["look", "lastseen hosts, or http://127.0.0.1:7070/ on this machine (status page)"],
  ];
  const w = Math.max(...steps.map(([a]) => a.length));
  out.write(`wrote ${path}: every key with its default, commented; change what you need.\n\nnext steps:\n${steps.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join("\n")}\n`);
}
