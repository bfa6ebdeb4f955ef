// A small reverse proxy for tests, standing in for Caddy or nginx on the collector's machine: it
// forwards HTTP requests and WebSocket upgrades to the collector, connecting FROM 127.0.0.2 (so
// the collector can tell it apart from direct loopback clients on 127.0.0.1 and list it in
// trusted_proxies), and appends the client address it is told to claim to X-Forwarded-For, as a
// real proxy appends its peer. Loopback only.
import http, { type IncomingMessage } from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";

export const PROXY_SOURCE = "127.0.0.2";

export interface ForwardingProxy {
  readonly url: string;
  /** The client address appended to X-Forwarded-For from now on. */
  claim(address: string): void;
  close(): Promise<void>;
}

export async function startForwardingProxy(target: { host: string; port: number }, claimed: string): Promise<ForwardingProxy> {
  let client = claimed;
  const sockets = new Set<Socket>();
  const forwardedFor = (req: IncomingMessage): string => {
    const prior = req.headers["x-forwarded-for"];
    return prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${client}` : client;
  };
  const server = http.createServer((req, res) => {
    const up = http.request({
      host: target.host, port: target.port, localAddress: PROXY_SOURCE, method: req.method, path: req.url,
      headers: { ...req.headers, "x-forwarded-for": forwardedFor(req), "x-forwarded-proto": "http" },
    }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy: ${err.message}\n`);
    });
    req.pipe(up);
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const up = net.connect({ host: target.host, port: target.port, localAddress: PROXY_SOURCE });
    sockets.add(socket).add(up);
    const drop = () => {
      socket.destroy();
      up.destroy();
    };
    up.on("error", drop);
    socket.on("error", drop);
    up.on("close", () => { sockets.delete(up); socket.destroy(); });
    socket.on("close", () => { sockets.delete(socket); up.destroy(); });
    up.on("connect", () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (req.rawHeaders[i]!.toLowerCase() !== "x-forwarded-for") lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`X-Forwarded-For: ${forwardedFor(req)}`, "X-Forwarded-Proto: http", "", "");
      up.write(lines.join("\r\n"));
      if (head.length) up.write(head);
      socket.pipe(up).pipe(socket);
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    claim: (a) => { client = a; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
