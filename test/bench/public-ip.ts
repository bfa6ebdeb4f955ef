// Benchmarks for the public-IP pieces, on loopback only: the STUN responder's answer rate against a
// plain UDP echo (what the checks and the codec cost), the per-request cost of deriving the client
// address and of parsing a PROXY header, and the wall time of one discovery run. Prints tables and
// ratios; asserts nothing about timing.
//
//   node dist/test/bench/public-ip.js
import dgram from "node:dgram";
import { pathToFileURL } from "node:url";
import { discoverPublicIp } from "../../agent/probes/public-ip/discover.js";
import { DEFAULT_PUBLIC_IP_OPTIONS } from "../../agent/probes/public-ip/config.js";
import { clientAddress, trustedProxyList } from "../../collector/ingest/client-address.js";
import { encodeProxyV2, parseProxyHeader } from "../../collector/ingest/proxy-protocol.js";
import { startStunResponder } from "../../collector/stun/responder.js";
import { encodeBindingRequest, newTransactionId } from "../../proto/stun.js";
import { startDnsEchoServer } from "../helpers/dns-echo-server.js";
import { startHttpEchoServer } from "../helpers/http-echo-server.js";

const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

/** Sends `total` requests in windows of `window` outstanding; returns answers per second. */
async function blast(port: number, total: number, window: number): Promise<{ perSec: number; answered: number }> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  let answered = 0;
  let sent = 0;
  const start = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, 20_000);
    const sendOne = () => {
      if (sent >= total) return;
      sent++;
      s.send(encodeBindingRequest(newTransactionId()), port, "127.0.0.1");
    };
    s.on("message", () => {
      answered++;
      if (answered >= total) {
        clearTimeout(deadline);
        resolve();
      } else sendOne();
    });
    // Lost datagrams would stall a window: top it up now and then.
    const refill = setInterval(() => {
      for (let i = 0; i < window && sent - answered < window; i++) sendOne();
      if (sent >= total) clearInterval(refill);
    }, 20);
    deadline.unref();
    for (let i = 0; i < window; i++) sendOne();
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await new Promise<void>((r) => s.close(() => r()));
  return { perSec: answered / secs, answered };
}

async function udpEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { port: s.address().port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

function perOp(n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(n, 2000); i++) fn(i);
  const start = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < n; i++) sink += fn(i) ? 1 : 0;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink === -1) console.log("");
  return ns / n / 1000;
}

export async function main(): Promise<void> {
  // 1. STUN responder vs plain UDP echo.
  const total = 20_000;
  const echo = await udpEcho();
  const stun = await startStunResponder({
    host: "127.0.0.1", port: 0, log: quiet,
    rateLimit: { burst: 1e9, perSecond: 1e9 }, globalRateLimit: { burst: 1e9, perSecond: 1e9 },
  });
  try {
    await blast(echo.port, 2000, 32);
    await blast(stun.port, 2000, 32);
    const rounds = { echo: [] as number[], stun: [] as number[] };
    for (let r = 0; r < 3; r++) {
      rounds.echo.push((await blast(echo.port, total, 32)).perSec);
      rounds.stun.push((await blast(stun.port, total, 32)).perSec);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
    const e = median(rounds.echo);
    const s = median(rounds.stun);
    console.log("\nSTUN responder on loopback (one client, 32 in flight, median of 3 rounds of 20000)");
    console.log("server                      answers/s    ratio");
    console.log(`${"plain UDP echo".padEnd(26)} ${e.toFixed(0).padStart(10)} ${"1.00".padStart(8)}x`);
    console.log(`${"lastseen STUN responder".padEnd(26)} ${s.toFixed(0).padStart(10)} ${(s / e).toFixed(2).padStart(8)}x`);
  } finally {
    await stun.close();
    await echo.close();
  }

  // 2. Per-request decisions in the collector.
  const proxies = trustedProxyList(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
  const n = 200_000;
  const rows: Array<[string, number]> = [
    ["clientAddress: peer only (untrusted)", perOp(n, (i) => clientAddress({ remoteAddress: `::ffff:198.51.100.${i & 255}`, headers: { "x-forwarded-for": "1.2.3.4" }, trustedProxies: proxies }))],
    ["clientAddress: XFF with 4 hops", perOp(n, (i) => clientAddress({ remoteAddress: "127.0.0.1", headers: { "x-forwarded-for": `6.6.6.6, 203.0.113.${i & 255}, 10.0.0.2, 10.0.0.5` }, trustedProxies: proxies }))],
    ["clientAddress: Forwarded with 2 hops", perOp(n, (i) => clientAddress({ remoteAddress: "127.0.0.1", headers: { forwarded: `for="[2001:db8::${i & 255}]:4711";proto=https, for=10.0.0.5` }, trustedProxies: proxies, header: "forwarded" }))],
    ["parseProxyHeader v1 TCP4", perOp(n, (i) => parseProxyHeader(Buffer.from(`PROXY TCP4 198.51.100.${i & 255} 10.0.0.1 40000 443\r\nGET`)))],
    ["parseProxyHeader v2 TCP6", perOp(n, () => parseProxyHeader(V2))],
  ];
  console.log("\nper-request cost in the collector");
  console.log("operation                                   µs/op");
  for (const [label, us] of rows) console.log(`${label.padEnd(42)} ${us.toFixed(3).padStart(7)}`);

  // 3. One discovery run on loopback: collector STUN, one DNS and one HTTP echo, both families.
  // (Rate limit raised: back-to-back runs from one address would otherwise meet the token bucket.)
  const responder = await startStunResponder({ host: ["127.0.0.1", "::1"], port: 0, log: quiet, rateLimit: { burst: 1e6, perSecond: 1e6 } });
  const dns4 = await startDnsEchoServer({ host: "127.0.0.1" });
  const dns6 = await startDnsEchoServer({ host: "::1" });
  const http4 = await startHttpEchoServer({ host: "127.0.0.1" });
  const http6 = await startHttpEchoServer({ host: "::1" });
  try {
    const options = {
      ...DEFAULT_PUBLIC_IP_OPTIONS,
      stun: [{ host: "::1", port: responder.port }],
      dns: [{ service: "opendns" as const, server: { address: "127.0.0.1", port: dns4.port } }, { service: "cloudflare" as const, server: { address: "::1", port: dns6.port } }],
      http: [http4.url, http6.url],
    };
    const runs = 30;
    const times: number[] = [];
    for (let i = 0; i < runs + 3; i++) {
      const t = process.hrtime.bigint();
      await discoverPublicIp({ options, collector: { host: "127.0.0.1", stunPort: responder.port, observedAddress: "127.0.0.1" } });
      if (i >= 3) times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log("\none discovery run on loopback (7 sources, both families)");
    console.log("runs   median ms   p90 ms   max ms");
    console.log(`${String(runs).padStart(4)} ${times[Math.floor(runs / 2)]!.toFixed(2).padStart(11)} ${times[Math.floor(runs * 0.9)]!.toFixed(2).padStart(8)} ${times[runs - 1]!.toFixed(2).padStart(8)}`);
  } finally {
    await Promise.all([responder.close(), dns4.close(), dns6.close(), http4.close(), http6.close()]);
  }
}

const V2 = encodeProxyV2({ address: "2001:db8::9", port: 40000, family: 6 }, { address: "2001:db8::1", port: 443, family: 6 });

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
