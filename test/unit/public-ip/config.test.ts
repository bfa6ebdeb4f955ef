import { describe, expect, it } from "vitest";
import { parse } from "smol-toml";
import { DEFAULT_PUBLIC_IP_OPTIONS, parseDnsSource, parseStunServer, publicIpSchema } from "../../../agent/probes/public-ip/config.js";

describe("[public_ip] schema", () => {
  it("gives the defaults for an empty table", () => {
    expect(publicIpSchema.parse({})).toEqual(DEFAULT_PUBLIC_IP_OPTIONS);
    expect(DEFAULT_PUBLIC_IP_OPTIONS.intervalMs).toBe(300_000);
    expect(DEFAULT_PUBLIC_IP_OPTIONS.natpmp).toBe(false);
    expect(DEFAULT_PUBLIC_IP_OPTIONS.upnp).toBe(false);
  });

  it("converts a TOML table with snake_case keys", () => {
    const toml = parse(`
[public_ip]
stun = ["stun.example.net:3478", "[2001:db8::1]:19302", "192.0.2.1"]
dns = ["opendns", "cloudflare@[::1]:5300"]
http = ["https://ip.example.net/"]
natpmp = true
upnp = false
collector_stun = false
interval = "10m"
timeout = "2s"
families = [4]
`);
    const o = publicIpSchema.parse(toml.public_ip);
    expect(o.stun).toEqual([{ host: "stun.example.net", port: 3478 }, { host: "2001:db8::1", port: 19302 }, { host: "192.0.2.1", port: 3478 }]);
    expect(o.dns).toEqual([{ service: "opendns" }, { service: "cloudflare", server: { address: "::1", port: 5300 } }]);
    expect(o.http).toEqual(["https://ip.example.net/"]);
    expect(o).toMatchObject({ natpmp: true, upnp: false, collectorStun: false, intervalMs: 600_000, timeoutMs: 2000, families: [4] });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it("dns = true means both services", () => {
    expect(publicIpSchema.parse({ dns: true }).dns).toEqual([{ service: "opendns" }, { service: "cloudflare" }]);
    expect(publicIpSchema.parse({ dns: false }).dns).toEqual([]);
  });

  it("rejects unknown keys and bad values with the offending key in the path", () => {
    const bad = [
      { stun: ["not a host:port:x"] },
      { dns: ["google"] },
      { http: ["ftp://x/"] },
      { interval: "5 minutes" },
      { interval: "1s" },
      { families: [5] },
      { nat_pmp: true },
    ];
    for (const table of bad) {
      const r = publicIpSchema.safeParse(table);
      expect(r.success, JSON.stringify(table)).toBe(false);
      expect(r.error!.issues[0]!.path[0] ?? (r.error!.issues[0] as { keys?: string[] }).keys?.[0]).toBe(Object.keys(table)[0]);
    }
  });

  it("parses the command-line forms", () => {
    expect(parseStunServer("[::1]:3478")).toEqual({ host: "::1", port: 3478 });
    expect(() => parseStunServer("http://x")).toThrow(expect.objectContaining({ code: "LASTSEEN_ERR_IP_CONFIG" }));
    expect(parseDnsSource("opendns@127.0.0.1")).toEqual({ service: "opendns", server: { address: "127.0.0.1", port: 53 } });
    expect(() => parseDnsSource("opendns@resolver.example")).toThrow(/must be an IP address/);
  });
});
