// A simulated home router on loopback for tests: a NAT-PMP responder (RFC 6886 opcode 0) and a UPnP
// IGD (an SSDP responder that answers M-SEARCH by unicast, a device description and the SOAP
// GetExternalIPAddress action). No multicast is ever sent: the agent is pointed at these ports.
import dgram from "node:dgram";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface NatPmpResponder {
  readonly port: number;
  requests: number;
  close(): Promise<void>;
}

/** Answers external-address requests with `external`, or with result code `result` when set. */
export async function startNatPmpResponder(opts: { external: string; result?: number }): Promise<NatPmpResponder> {
  const socket = dgram.createSocket("udp4");
  const state = { requests: 0 };
  socket.on("message", (msg, rinfo) => {
    if (msg.length !== 2 || msg[0] !== 0 || msg[1] !== 0) return;
    state.requests++;
    const res = Buffer.alloc(12);
    res[1] = 128;
    res.writeUInt16BE(opts.result ?? 0, 2);
    res.writeUInt32BE(12345, 4);
    Buffer.from(opts.external.split(".").map(Number)).copy(res, 8);
    socket.send(res, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  return {
    port: socket.address().port,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export interface UpnpGateway {
  /** SSDP port (UDP, 127.0.0.1). */
  readonly ssdpPort: number;
  /** HTTP port of the description and control URLs. */
  readonly httpPort: number;
  readonly searches: string[];
  readonly soapActions: string[];
  close(): Promise<void>;
}

export interface UpnpGatewayOptions {
  readonly external: string;
  /** LOCATION to announce; the gateway's own description URL by default. */
  readonly location?: (httpPort: number) => string;
  /** Service type the description lists. */
  readonly serviceType?: string;
}

export async function startUpnpGateway(opts: UpnpGatewayOptions): Promise<UpnpGateway> {
  const serviceType = opts.serviceType ?? "urn:schemas-upnp-org:service:WANIPConnection:1";
  const searches: string[] = [];
  const soapActions: string[] = [];
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/rootDesc.xml") {
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(`<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<serviceList>
<service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><controlURL>/ctl/CmnIfCfg</controlURL></service>
<service><serviceType>${serviceType}</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn</controlURL></service>
</serviceList></device></deviceList></device></deviceList></device></root>`);
      return;
    }
    if (req.method === "POST" && req.url === "/ctl/IPConn") {
      soapActions.push(String(req.headers.soapaction ?? ""));
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": 'text/xml; charset="utf-8"' });
        res.end(`<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetExternalIPAddressResponse xmlns:u="${serviceType}"><NewExternalIPAddress>${opts.external}</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>`);
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const httpPort = (server.address() as AddressInfo).port;
  const location = opts.location ? opts.location(httpPort) : `http://127.0.0.1:${httpPort}/rootDesc.xml`;
  const ssdp = dgram.createSocket("udp4");
  ssdp.on("message", (msg, rinfo) => {
    const text = msg.toString("latin1");
    if (!text.startsWith("M-SEARCH * HTTP/1.1\r\n")) return;
    const st = /\r\nST: *([^\r\n]+)/i.exec(text)?.[1]?.trim() ?? "";
    searches.push(st);
    if (st !== serviceType) return;
    const reply = `HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: ${st}\r\nUSN: uuid:test::${st}\r\nEXT:\r\nSERVER: test/1.0 UPnP/1.1 sim/1.0\r\nLOCATION: ${location}\r\n\r\n`;
    ssdp.send(Buffer.from(reply, "latin1"), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => ssdp.bind(0, "127.0.0.1", () => resolve()));
  return {
    ssdpPort: ssdp.address().port,
    httpPort,
    searches,
    soapActions,
    close: async () => {
      await new Promise<void>((resolve) => ssdp.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
