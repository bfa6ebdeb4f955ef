// Container health check of the lastseen collector (deploy/docker/Dockerfile): reads the address
// the running collector wrote to its data directory (api.json) and asks its /healthz. Exit 0 when
// it answers {"ok": true}, 1 otherwise, with one line saying why. No dependencies: it runs with a
// bare `node`.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { URL } from "node:url";

const data = process.env.LASTSEEN_DATA || "/var/lib/lastseen";
const fail = (why) => {
  process.stdout.write(`unhealthy: ${why}\n`);
  process.exit(1);
};

let url;
try {
  url = new URL("/healthz", JSON.parse(readFileSync(join(data, "api.json"), "utf8")).url);
} catch (err) {
  fail(`no collector address in ${join(data, "api.json")} (${err.code || err.message})`);
}
// The collector's certificate may name its public host, not 127.0.0.1: this check is local only.
const get = url.protocol === "https:" ? https.get : http.get;
const req = get(url, { timeout: 4000, rejectUnauthorized: false }, (res) => {
  let body = "";
  res.setEncoding("utf8");
  res.on("data", (c) => { body += c; });
  res.on("end", () => {
    let ok = false;
    try {
      ok = res.statusCode === 200 && JSON.parse(body).ok === true;
    } catch (err) {
      fail(`${url} answered something that is not JSON (${err.message})`);
    }
    if (!ok) fail(`${url} answered ${res.statusCode}`);
    process.stdout.write(`healthy: ${url}\n`);
    process.exit(0);
  });
});
req.on("timeout", () => req.destroy(new Error("no answer within 4 s")));
req.on("error", (err) => fail(`${url}: ${err.code || err.message}`));
