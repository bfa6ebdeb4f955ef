// Client address derivation on a real HTTP server over loopback. Distinct loopback source
// addresses stand in for hosts: 127.0.0.2 is the trusted reverse proxy / load balancer, 127.0.0.3
// an untrusted client that forges headers.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { clientAddress, trustedProxyList } from "../../../collector/ingest/client-address.js";
import type { ForwardingHeader } from "../../../collector/ingest/client-address.js";
import { acceptProxyProtocol, encodeProxyV2, proxyProtocolAddress } from "../../../collector/ingest/proxy-protocol.js";

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function serve(trusted: string[], header?: ForwardingHeader, host = "127.0.0.1") {
  const proxies = trustedProxyList(trusted);
  const server = http.createServer((req, res) => {
    const who = clientAddress({
      remoteAddress: req.socket.remoteAddress,
      headers: req.headers,
      proxyProtocolAddress: proxyProtocolAddress(req.socket)?.address,
      trustedProxies: proxies,
      header,
    });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(who));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

function get(port: number, opts: { localAddress?: string; headers?: Record<string, string>; host?: string }) {
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = http.get({ host: opts.host ?? "127.0.0.1", port, path: "/", localAddress: opts.localAddress, headers: opts.headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(JSON.parse(body) as Record<string, unknown>));
    });
    req.on("error", reject);
  });
}

/** Writes raw bytes from a given local address and collects what comes back until close. */
function raw(port: number, localAddress: string, chunks: Array<string | Buffer>): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1", localAddress });
    let out = "";
    s.on("data", (d) => (out += d.toString()));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    for (const c of chunks) s.write(c);
  });
}

describe("client address behind proxies", () => {
  it("a spoofed X-Forwarded-For from an untrusted peer is ignored", async () => {
    const { port } = await serve(["127.0.0.2"]);
    const r = await get(port, { localAddress: "127.0.0.3", headers: { "x-forwarded-for": "203.0.113.66" } });
    expect(r).toEqual({ address: "127.0.0.3", family: 4, via: "peer" });
  });

  it("a trusted proxy's header is honoured, rightmost untrusted hop first", async () => {
    const { port } = await serve(["127.0.0.2"]);
    const r = await get(port, { localAddress: "127.0.0.2", headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.66" } });
    expect(r).toEqual({ address: "203.0.113.66", family: 4, via: "x-forwarded-for" });
  });

  it("RFC 7239 Forwarded from a trusted proxy configured for it", async () => {
    const { port } = await serve(["127.0.0.2"], "forwarded");
    const r = await get(port, { localAddress: "127.0.0.2", headers: { forwarded: 'for="[2001:db8::66]:5000";proto=https', "x-forwarded-for": "6.6.6.6" } });
    expect(r).toEqual({ address: "2001:db8::66", family: 6, via: "forwarded" });
  });

  it("an IPv6 peer on ::1 is reported as IPv6; a dual-stack socket's IPv4 peer as plain IPv4", async () => {
    const { port } = await serve([], undefined, "::");
    expect(await get(port, { host: "::1" })).toEqual({ address: "::1", family: 6, via: "peer" });
    expect(await get(port, { host: "127.0.0.1" })).toEqual({ address: "127.0.0.1", family: 4, via: "peer" });
  });
});

describe("PROXY protocol", () => {
  it("reads v1 and v2 headers from the load balancer, also split over packets and with keep-alive", async () => {
    const { server, port } = await serve([]);
    const pp = acceptProxyProtocol(server, { loadBalancers: ["127.0.0.2/32"], headerTimeoutMs: 2000 });
    const req = (path: string, close: boolean) => `GET ${path} HTTP/1.1\r\nHost: x\r\n${close ? "Connection: close\r\n" : ""}\r\n`;

    const v1 = await raw(port, "127.0.0.2", [`PROXY TCP4 198.51.100.9 10.0.0.1 40000 443\r\n${req("/a", true)}`]);
    expect(v1).toContain('{"address":"198.51.100.9","family":4,"via":"proxy-protocol"}');

    // Header split mid-way, then two requests on one connection.
    const split = await raw(port, "127.0.0.2", [
      "PROXY TCP6 2001:db8::9 2001:db8::1 40000 ",
      `443\r\n${req("/1", false)}`,
      req("/2", true),
    ]);
    expect(split.match(/"address":"2001:db8::9","family":6,"via":"proxy-protocol"/g)).toHaveLength(2);

    const v2 = await raw(port, "127.0.0.2", [
      Buffer.concat([encodeProxyV2({ address: "203.0.113.77", port: 1234, family: 4 }, { address: "10.0.0.1", port: 443, family: 4 }), Buffer.from(req("/v2", true))]),
    ]);
    expect(v2).toContain('"address":"203.0.113.77"');

    // LOCAL (the balancer's health check): the peer itself.
    const local = await raw(port, "127.0.0.2", [Buffer.concat([encodeProxyV2(null, null), Buffer.from(req("/hc", true))])]);
    expect(local).toContain('{"address":"127.0.0.2","family":4,"via":"peer"}');
    expect(pp.counters()).toMatchObject({ accepted: 4, rejected: 0 });
  });

  it("passes other peers through untouched, so their forged header is just a bad request", async () => {
    const { server, port } = await serve([]);
    const pp = acceptProxyProtocol(server, { loadBalancers: ["127.0.0.2"] });
    const plain = await raw(port, "127.0.0.3", ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    expect(plain).toContain('{"address":"127.0.0.3","family":4,"via":"peer"}');
    const forged = await raw(port, "127.0.0.3", ["PROXY TCP4 203.0.113.1 10.0.0.1 1 2\r\nGET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]);
    expect(forged).toMatch(/^HTTP\/1\.1 400/);
    expect(forged).not.toContain("203.0.113.1");
    expect(pp.counters()).toMatchObject({ passedThrough: 2, accepted: 0 });
  });

  it("closes a load balancer connection without a valid header, or whose header is too slow", async () => {
    const { server, port } = await serve([]);
    const pp = acceptProxyProtocol(server, { loadBalancers: ["127.0.0.2"], headerTimeoutMs: 200 });
    expect(await raw(port, "127.0.0.2", ["GET / HTTP/1.1\r\nHost: x\r\n\r\n"])).toBe("");
    expect(await raw(port, "127.0.0.2", ["PROXY TCP4 203.0"])).toBe("");
    expect(pp.counters()).toMatchObject({ rejected: 1, timedOut: 1, accepted: 0 });
    pp.detach();
    // Detached: the server handles connections itself again.
    expect(await raw(port, "127.0.0.2", ["GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])).toContain('"via":"peer"');
  });

  it("carries the real address through a WebSocket upgrade", async () => {
    const { server, port } = await serve([]);
    acceptProxyProtocol(server, { loadBalancers: ["127.0.0.2"] });
    const wss = new WebSocketServer({ noServer: true });
    server.on("upgrade", (req, socket, head) => {
      const who = clientAddress({ remoteAddress: req.socket.remoteAddress, headers: req.headers, proxyProtocolAddress: proxyProtocolAddress(req.socket)?.address, trustedProxies: [] });
      wss.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify(who)));
    });
    const msg = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
        createConnection: () => {
          const s = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
          s.write("PROXY TCP6 2001:db8::42 2001:db8::1 5555 443\r\n");
          return s;
        },
      });
      ws.on("message", (d) => {
        resolve(d.toString());
        ws.close();
      });
      ws.on("error", reject);
    });
    expect(JSON.parse(msg)).toEqual({ address: "2001:db8::42", family: 6, via: "proxy-protocol" });
    wss.close();
  });
});

describe("PROXY protocol in front of TLS", () => {
  it("the https request's TLSSocket finds the address its raw socket carried", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lastseen-pp-tls-"));
    try {
      await promisify(execFile)("openssl", [
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
        "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
      ]);
      const server = https.createServer({ key: await readFile(path.join(dir, "key.pem")), cert: await readFile(path.join(dir, "cert.pem")) }, (req, res) => {
        res.end(JSON.stringify(clientAddress({ remoteAddress: req.socket.remoteAddress, headers: req.headers, proxyProtocolAddress: proxyProtocolAddress(req.socket)?.address, trustedProxies: [] })));
      });
      servers.push(server);
      acceptProxyProtocol(server, { loadBalancers: ["127.0.0.2"] });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        const rawSocket = net.connect({ port, host: "127.0.0.1", localAddress: "127.0.0.2" });
        // Header and ClientHello leave in one segment: the header parser must hand the rest on.
        rawSocket.cork();
        rawSocket.write("PROXY TCP4 203.0.113.9 10.0.0.1 5555 443\r\n");
        setTimeout(() => rawSocket.uncork(), 50);
        const t = tls.connect({ socket: rawSocket, rejectUnauthorized: false, servername: "localhost" }, () => {
          t.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        });
        let out = "";
        t.on("data", (d) => (out += d.toString()));
        t.on("close", () => resolve(out.split("\r\n\r\n")[1] ?? ""));
        t.on("error", reject);
      });
      expect(JSON.parse(body)).toEqual({ address: "203.0.113.9", family: 4, via: "proxy-protocol" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
