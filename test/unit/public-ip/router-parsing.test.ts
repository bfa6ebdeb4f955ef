import { mkdtemp, mkdir, writeFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultGateway, parseProcNetRoute } from "../../../agent/probes/public-ip/gateway.js";
import { parseNatPmpResponse } from "../../../agent/probes/public-ip/natpmp.js";
import { findWanService, parseExternalIpResponse, parseSsdpResponse } from "../../../agent/probes/public-ip/upnp.js";

const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
`;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("default gateway", () => {
  it("takes the default route with the lowest metric, decoding little-endian hex", () => {
    expect(parseProcNetRoute(ROUTE)).toEqual({ address: "10.0.0.1", iface: "eth0" });
    expect(parseProcNetRoute(ROUTE.split("\n").slice(0, 2).join("\n"))).toEqual({ address: "192.168.1.1", iface: "wlan0" });
    expect(parseProcNetRoute("Iface\tDestination\n")).toBeNull();
  });

  it("reads ROOT/proc/net/route and returns null without one", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "lastseen-route-"));
    dirs.push(root);
    expect(await defaultGateway(root)).toBeNull();
    await mkdir(path.join(root, "proc/net"), { recursive: true });
    await writeFile(path.join(root, "proc/net/route"), ROUTE);
    expect(await defaultGateway(root)).toEqual({ address: "10.0.0.1", iface: "eth0" });
  });
});

describe("NAT-PMP answer", () => {
  it("reads the external address and maps result codes to errors", () => {
    expect(parseNatPmpResponse(Buffer.from([0, 128, 0, 0, 0, 0, 1, 0, 100, 64, 1, 2]))).toBe("100.64.1.2");
    expect(parseNatPmpResponse(Buffer.from([0, 129, 0, 0]))).toBeUndefined();
    expect(() => parseNatPmpResponse(Buffer.from([0, 128, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/result 3 \(network failure/);
    expect(() => parseNatPmpResponse(Buffer.from([0, 128, 0, 0, 0, 0, 0, 0, 1]))).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_IP_BAD_ANSWER" }));
  });
});

describe("UPnP parsing", () => {
  const st = "urn:schemas-upnp-org:service:WANIPConnection:1";
  const reply = (location: string, service = st) => Buffer.from(`HTTP/1.1 200 OK\r\nST: ${service}\r\nLocation: ${location}\r\n\r\n`);

  it("accepts an SSDP answer whose LOCATION is on the LAN host that sent it", () => {
    expect(parseSsdpResponse(reply("http://192.168.1.1:5000/rootDesc.xml"), "192.168.1.1")).toMatchObject({ st, from: "192.168.1.1" });
  });

  it("refuses answers pointing elsewhere, to the internet, or for other services", () => {
    expect(parseSsdpResponse(reply("http://192.168.1.66:5000/x.xml"), "192.168.1.1")).toBeNull();
    expect(parseSsdpResponse(reply("http://8.8.8.8/x.xml"), "8.8.8.8")).toBeNull();
    expect(parseSsdpResponse(reply("https://192.168.1.1/x.xml"), "192.168.1.1")).toBeNull();
    expect(parseSsdpResponse(reply("http://192.168.1.1/x.xml", "upnp:rootdevice"), "192.168.1.1")).toBeNull();
    expect(parseSsdpResponse(Buffer.from("NOTIFY * HTTP/1.1\r\n\r\n"), "192.168.1.1")).toBeNull();
  });

  it("finds the WAN service's control URL, honouring URLBase", () => {
    const xml = `<root><URLBase>http://192.168.1.1:49000/</URLBase><device><serviceList>
      <service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><controlURL>/l3f</controlURL></service>
      <service><serviceType>urn:schemas-upnp-org:service:WANPPPConnection:1</serviceType><controlURL>/upnp/control/WANPPPConn1</controlURL></service>
    </serviceList></device></root>`;
    expect(findWanService(xml, new URL("http://192.168.1.1:5000/desc.xml"))).toEqual({
      controlUrl: new URL("http://192.168.1.1:49000/upnp/control/WANPPPConn1"),
      serviceType: "urn:schemas-upnp-org:service:WANPPPConnection:1",
    });
    expect(findWanService("<root></root>", new URL("http://192.168.1.1/"))).toBeNull();
  });

  it("reads exactly one NewExternalIPAddress", () => {
    expect(parseExternalIpResponse("<s:Envelope><s:Body><u:R><NewExternalIPAddress>198.51.100.3</NewExternalIPAddress></u:R></s:Body></s:Envelope>")).toBe("198.51.100.3");
    expect(() => parseExternalIpResponse("<x/>")).toThrow(/0 NewExternalIPAddress/);
    expect(() => parseExternalIpResponse("<NewExternalIPAddress>1.2.3.4</NewExternalIPAddress><NewExternalIPAddress>1.2.3.5</NewExternalIPAddress>")).toThrow(/2 NewExternalIPAddress/);
    expect(() => parseExternalIpResponse("<NewExternalIPAddress>&lt;b&gt;</NewExternalIPAddress>")).toThrow(/not an IP address/);
  });
});
