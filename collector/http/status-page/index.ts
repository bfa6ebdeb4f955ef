// The status page: "/" (every host) and "/hosts/NAME" (one host), server-rendered from the read
// models of collector/queries, behind the view guard (token, or this machine; see view-access.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../../clock.js";
import { CollectorError } from "../../errors.js";
import type { Queries } from "../../queries/index.js";
import { VERSION } from "../../../proto/version.js";
import type { RequestContext, Router } from "../router.js";
import type { ViewGuard } from "../view-guard.js";
import { errorPage, layout, loginPage } from "./layout.js";
import { hostPage, type JobRunView } from "./host-page.js";
import { hostsPage } from "./hosts-page.js";
import type { Html, TimeFormat } from "./format.js";

export type { JobRunView };

export interface StatusPageDeps {
  queries: Pick<Queries, "hosts" | "host" | "jobs" | "alerts">;
  clock: Clock;
  guard: ViewGuard;
  /** `[status_page] refresh`, ms. */
  refreshMs: number;
  /** `[status_page] timezone`: IANA name the absolute times are shown in. */
  timeZone: string;
  /** Recent runs of one job, newest first; without it the host page shows no run history. */
  jobRuns?: (host: string, job: string, limit: number) => readonly JobRunView[];
}

/** Runs shown per job on the host page. */
const RUNS_PER_JOB = 10;

const SECURITY_HEADERS = {
  // No script at all; inline CSS only; forms only to ourselves; never framed.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
} as const;

export function sendHtml(res: ServerResponse, status: number, body: string, extra: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...extra, "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function registerStatusPage(router: Router, d: StatusPageDeps): void {
  const time = (): TimeFormat => ({ now: d.clock.now(), timeZone: d.timeZone });
  const refreshS = Math.max(1, Math.round(d.refreshMs / 1000));
  const refuse = (req: IncomingMessage, res: ServerResponse, reason: string, extra: Record<string, string | string[]>) => {
    const crossSite = req.headers["sec-fetch-site"] === "cross-site";
    sendHtml(res, 401, loginPage(reason, time(), VERSION, crossSite), { ...extra, "www-authenticate": 'Bearer realm="lastseen"' });
  };
  const page = (render: (ctx: RequestContext, t: TimeFormat) => { title: string; body: Html }) => (ctx: RequestContext) => {
    if (!d.guard.admit(ctx.req, ctx.res, refuse)) return undefined;
    const t = time();
    try {
      const p = render(ctx, t);
      sendHtml(ctx.res, 200, layout({ title: p.title, body: p.body, refreshS, time: t, version: VERSION }));
    } catch (err) {
      if (!(err instanceof CollectorError) || (err.code !== "LASTSEEN_ERR_UNKNOWN_HOST" && err.code !== "LASTSEEN_ERR_BAD_NAME")) throw err;
      sendHtml(ctx.res, 404, errorPage(404, err.message, t, VERSION));
    }
    return undefined;
  };

  router
    .add("GET", "/", "public", page((_ctx, t) => {
      const hosts = d.queries.hosts();
      const alerts = d.queries.alerts({ limit: 0 });
      const firing = alerts.firing.length;
      return {
        title: `lastseen: ${hosts.length} host${hosts.length === 1 ? "" : "s"}${firing ? `, ${firing} firing` : ""}`,
        body: hostsPage({ hosts, jobs: d.queries.jobs(), alerts }, t),
      };
    }))
    .add("GET", "/hosts/:name", "public", page(({ params }, t) => {
      const host = d.queries.host(params.name!);
      const runs = new Map(host.jobs.map((j) => [j.job, d.jobRuns ? d.jobRuns(host.name, j.job, RUNS_PER_JOB) : []]));
      return {
        title: `lastseen: ${host.name} (${host.state})`,
        body: hostPage({ host, alerts: d.queries.alerts({ host: host.name, limit: 20 }), runs }, t),
      };
    }));
}
