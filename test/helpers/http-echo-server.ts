// A loopback "what is my IP" web service for tests: answers with the caller's address as text/plain,
// or with whatever the test scripts (HTML, two addresses, a redirect, an oversized body, ...).
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface HttpEchoServer {
  readonly port: number;
  /** Base URL, e.g. "http://127.0.0.1:1234/" or "http://[::1]:1234/". */
  readonly url: string;
  readonly requests: Array<{ path: string; from: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

export type EchoHandler = (req: http.IncomingMessage, res: http.ServerResponse, from: string) => void;

export async function startHttpEchoServer(opts: { host: string; handler?: EchoHandler }): Promise<HttpEchoServer> {
  const requests: HttpEchoServer["requests"] = [];
  const server = http.createServer((req, res) => {
    const from = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    requests.push({ path: req.url ?? "", from, headers: req.headers });
    if (opts.handler) {
      opts.handler(req, res, from);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(`${from}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPart = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    port,
    url: `http://${hostPart}:${port}/`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
