// `lastseen-agent init [--path FILE] [--force]`: writes a commented config file with every key and
// its default (agent/init/config-template.ts) and prints the next steps.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { agentConfigTemplate } from "../init/config-template.js";
import { writeConfigFile } from "../../proto/config-file.js";

export interface InitAgentFlags {
  path?: string;
  force?: boolean;
  collector?: string;
  tokenFile?: string;
  state?: string;
}

/** /etc/lastseen-agent/agent.toml for root, else $XDG_CONFIG_HOME/lastseen-agent/agent.toml. */
export function defaultAgentConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return "/etc/lastseen-agent/agent.toml";
  return join(env.XDG_CONFIG_HOME || join(homedir(), ".config"), "lastseen-agent", "agent.toml");
}

export function initAgentCommand(flags: InitAgentFlags, out: NodeJS.WritableStream): void {
  const text = agentConfigTemplate({ collector: flags.collector, tokenFile: flags.tokenFile, state: flags.state });
  if (flags.path === "-") return void out.write(text);
  const path = resolve(flags.path ?? defaultAgentConfigPath());
  writeConfigFile(path, text, flags.force ?? false);
  const tokenFile = flags.tokenFile ?? "/etc/lastseen-agent/token";
  const steps: [string, string][] = [
    ...(flags.collector ? [] : [["edit it", "set collector (wss://... of your collector) and token_file"] as [string, string]]),
    ["get a token", "on the collector: lastseen token add $(hostname)"],
    ["store it", `install -m 0640 -g lastseen-agent /dev/stdin ${tokenFile}   (paste, then Ctrl-D)`],
    ["try it", `lastseen-agent run --config ${path}`],
    ["  as a service", "deploy/systemd/lastseen-agent.service (docs/deploy.md)"],
    ["report jobs", "lastseen-agent job run backup -- /usr/local/bin/backup.sh"],
  ];
  const w = Math.max(...steps.map(([a]) => a.length));
  out.write(`wrote ${path}: every key with its default, commented; change what you need.\n\nnext steps:\n${steps.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join("\n")}\n`);
}
