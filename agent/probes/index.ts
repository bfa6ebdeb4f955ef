// The probes an agent runs, built from its config.
import type { Welcome } from "../../proto/types.js";
import type { AgentConfig } from "../config.js";
import type { Probe } from "./probe.js";

export interface ProbeEnvironment {
  collectorUrl: string;
  /** The collector's last Welcome (its STUN port, the address it sees), null before the first. */
  welcome(): Welcome | null;
}

export function buildProbes(_config: AgentConfig, _env: ProbeEnvironment): Probe[] {
  return [];
}
