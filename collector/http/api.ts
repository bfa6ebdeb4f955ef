// The JSON API the CLI (and scripts) use. Read routes need a read or admin token, write routes
// the admin token.
import { CollectorError } from "../errors.js";
import type { Queries } from "../queries.js";
import type { Router } from "./router.js";

function family(q: URLSearchParams): 4 | 6 | undefined {
  const f = q.get("family");
  if (f === null) return undefined;
  if (f === "4" || f === "6") return Number(f) as 4 | 6;
  throw new CollectorError("LASTSEEN_ERR_BAD_REQUEST", `family must be 4 or 6, not "${f}"`);
}

export function registerApi(router: Router, q: Queries): void {
  router
    .add("GET", "/v1/hosts", "read", () => q.hosts())
    .add("GET", "/v1/hosts/:name", "read", ({ params }) => q.host(params.name!))
    .add("GET", "/v1/hosts/:name/ip", "read", ({ params, query }) => q.ip(params.name!, family(query)))
    .add("GET", "/v1/hosts/:name/ip/history", "read", ({ params, query }) => q.ipHistory(params.name!, family(query)));
}
