// The alert policy from the validated config: timeouts, delays, reminders, job expectations.
import type { Logger } from "pino";
import type { JobExpectation } from "../../proto/types.js";
import type { CollectorConfig } from "../config.js";
import { parseExpectation, parseWireExpectation, type JobSchedule } from "../rules/job-schedule.js";
import { ScheduleError } from "../rules/schedule-error.js";
import type { AlertPolicy } from "./engine.js";

export function policyFromConfig(c: CollectorConfig, log: Logger): AlertPolicy {
  const hostOverrides = new Map(c.hosts.map((h) => [h.name, h]));
  const jobs = new Map(c.jobs.map((j) => [`${j.host}\u0000${j.job}`, parseExpectation(j, `job ${j.host}/${j.job}`)]));
  const declaredCache = new Map<string, { text: string; schedule: JobSchedule | null }>();
  return {
    silentAfterMs: c.alerts.silent_after,
    staleAfterMs: c.alerts.stale_after,
    collectorDownAfterMs: c.alerts.collector_down_after,
    aliveIntervalMs: c.alerts.alive_interval,
    repeatMs: (rule) => {
      const ms = (c.alerts.repeat_rules as Record<string, number | undefined>)[rule] ?? c.alerts.repeat;
      return ms > 0 ? ms : null;
    },
    hostSilentAfterMs: (host) => hostOverrides.get(host)?.silent_after,
    jobSchedule: (host, job) => jobs.get(`${host}\u0000${job}`),
    declaredSchedule: (host, job, declared: JobExpectation) => {
      const key = `${host}\u0000${job}`;
      const text = JSON.stringify(declared);
      const cached = declaredCache.get(key);
      if (cached?.text === text) return cached.schedule;
      let schedule: JobSchedule | null = null;
      try {
        schedule = parseWireExpectation(declared, `host ${host}: job ${job} as declared by its agent`);
      } catch (err) {
        if (!(err instanceof ScheduleError)) throw err;
        log.warn({ host, job }, `ignoring the agent's expectation: ${err.message}`);
      }
      declaredCache.set(key, { text, schedule });
      return schedule;
    },
  };
}
