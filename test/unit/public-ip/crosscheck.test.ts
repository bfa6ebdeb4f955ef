import { describe, expect, it } from "vitest";
import { crosscheck } from "../../../agent/probes/public-ip/crosscheck.js";
import type { SourceObservation } from "../../../agent/probes/public-ip/observation.js";

function obs(group: string, address: string, family: 4 | 6 = 4, error = ""): SourceObservation {
  const source = group.split(":")[0] === "router" ? "natpmp" : group.split(":")[0]!;
  return { source, group, detail: group, address: error ? "" : address, family, error, rttMs: 1 };
}

describe("crosscheck", () => {
  it("accepts an address two independent sources agree on", () => {
    const r = crosscheck([obs("stun:collector", "198.51.100.7"), obs("dns:opendns", "198.51.100.7")]);
    expect(r.accepted).toEqual([{ address: "198.51.100.7", family: 4, sources: ["dns:opendns", "stun:collector"], scope: "documentation" }]);
    expect(r.disagreements).toEqual([]);
  });

  it("one source alone, or one group twice, is not enough", () => {
    expect(crosscheck([obs("stun:collector", "8.8.4.4")]).accepted).toEqual([]);
    expect(crosscheck([obs("dns:opendns", "8.8.4.4"), obs("dns:opendns", "8.8.4.4")]).accepted).toEqual([]);
    // NAT-PMP and UPnP both ask the router.
    expect(crosscheck([obs("router", "8.8.4.4"), { ...obs("router", "8.8.4.4"), source: "upnp" }]).accepted).toEqual([]);
  });

  it("the collector's view agreeing with one source is enough", () => {
    const r = crosscheck([obs("collector", "2a00:1450::1", 6), obs("stun:collector", "2a00:1450::1", 6)]);
    expect(r.accepted).toMatchObject([{ address: "2a00:1450::1", family: 6, scope: "public" }]);
  });

  it("reports a disagreement and still accepts the majority", () => {
    const r = crosscheck([
      obs("stun:collector", "8.8.4.4"),
      obs("http:echo.example", "8.8.4.4"),
      obs("dns:opendns", "9.9.9.9"),
    ]);
    expect(r.accepted).toMatchObject([{ address: "8.8.4.4", sources: ["http:echo.example", "stun:collector"] }]);
    expect(r.disagreements).toEqual(["IPv4: sources disagree: 8.8.4.4 (http:echo.example, stun:collector); 9.9.9.9 (dns:opendns)"]);
  });

  it("a tie accepts nothing", () => {
    const r = crosscheck([
      obs("stun:a", "8.8.4.4"), obs("stun:b", "8.8.4.4"),
      obs("dns:opendns", "9.9.9.9"), obs("http:x", "9.9.9.9"),
    ]);
    expect(r.accepted).toEqual([]);
    expect(r.disagreements).toHaveLength(2);
    expect(r.disagreements[1]).toMatch(/none accepted/);
  });

  it("keeps families apart and ignores failed sources", () => {
    const r = crosscheck([
      obs("stun:collector", "8.8.4.4", 4), obs("dns:opendns", "8.8.4.4", 4),
      obs("stun:collector", "2a00:1450::1", 6), obs("dns:opendns", "", 6, "LASTSEEN_ERR_IP_TIMEOUT: x"),
    ]);
    expect(r.accepted.map((a) => a.family)).toEqual([4]);
    expect(r.disagreements).toEqual([]);
  });

  it("flags a CGNAT router WAN address instead of calling it a disagreement", () => {
    const r = crosscheck([obs("stun:collector", "8.8.4.4"), obs("dns:opendns", "8.8.4.4"), obs("router", "100.64.12.34")]);
    expect(r.accepted).toMatchObject([{ address: "8.8.4.4", scope: "cgnat" }]);
    expect(r.disagreements).toHaveLength(1);
    expect(r.disagreements[0]).toMatch(/router WAN address 100\.64\.12\.34 \(natpmp\) is CGNAT: 8\.8\.4\.4 belongs to the carrier's NAT pool/);
  });

  it("flags a private router WAN address as double NAT", () => {
    const r = crosscheck([obs("stun:collector", "8.8.4.4"), obs("dns:opendns", "8.8.4.4"), obs("router", "192.168.0.2")]);
    expect(r.accepted).toMatchObject([{ scope: "private" }]);
    expect(r.disagreements[0]).toMatch(/double NAT/);
  });

  it("a public router WAN address is an ordinary, independent source", () => {
    const r = crosscheck([obs("stun:collector", "8.8.4.4"), obs("router", "8.8.4.4")]);
    expect(r.accepted).toMatchObject([{ address: "8.8.4.4", scope: "public", sources: ["router", "stun:collector"] }]);
  });

  it("interface addresses support a public address but never dispute one", () => {
    const r = crosscheck([
      obs("stun:collector", "2a00:1450::1", 6),
      { ...obs("interface", "2a00:1450::1", 6), detail: "eth0 public" },
      { ...obs("interface", "2a00:1450::2", 6), detail: "eth0 public" },
      { ...obs("interface", "192.168.1.5", 4), detail: "eth0 private" },
      obs("stun:collector", "8.8.4.4", 4),
    ]);
    expect(r.accepted).toMatchObject([{ address: "2a00:1450::1", family: 6, sources: ["interface", "stun:collector"] }]);
    expect(r.disagreements).toEqual([]);
  });
});
