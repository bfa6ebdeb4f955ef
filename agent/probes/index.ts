// The probes an agent runs, built from its config.
import type { Welcome } from "../../proto/types.js";
import type { AgentConfig } from "../config.js";
import type { Probe } from "./probe.js";
import { createPublicIpProbe } from "./public-ip/probe.js";
import { createStaleLibsProbe } from "./stale-libs/probe.js";

export interface ProbeEnvironment {
  collectorUrl: string;
  /** The collector's last Welcome (its STUN port, the address it sees), null before the first. */
  welcome(): Welcome | null;
}

export function buildProbes(config: AgentConfig, env: ProbeEnvironment): Probe[] {
  const probes: Probe[] = [];
  const s = config.stale_libs;
  if (s.enabled) {
    probes.push(createStaleLibsProbe({ intervalMs: s.interval, refreshMs: s.refresh, ignore: s.ignore, containers: s.containers }));
  }
  if (config.public_ip.enabled) {
    const host = new URL(env.collectorUrl).hostname.replace(/^\[|\]$/g, "");
    probes.push(createPublicIpProbe({
      options: config.public_ip,
      collector: () => {
        const w = env.welcome();
        return w ? { host, stunPort: w.stunPort, observedAddress: w.observedAddress } : null;
      },
    }));
  }
  return probes;
}
