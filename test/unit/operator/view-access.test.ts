// Who may see the status page and /metrics without a token: the pure decision, including the
// branches a test on one machine cannot reach with real sockets (a non-loopback peer).
import { describe, expect, it } from "vitest";
import { trustedProxyList } from "../../../collector/ingest/client-address.js";
import { decideViewAccess, isLoopbackAddress, type ViewAccessInput } from "../../../collector/http/view-access.js";
import { cookieValue, tokenCookie, clearCookie, VIEW_COOKIE } from "../../../collector/http/view-guard.js";

const base: ViewAccessInput = {
  role: null, peer: "127.0.0.1", headers: {}, viaProxyProtocol: false,
  trustedProxies: trustedProxyList([]), policy: { public: false, loopback: true },
};
const decide = (over: Partial<ViewAccessInput>) => decideViewAccess({ ...base, ...over });

describe("decideViewAccess", () => {
  it.each(["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"])("a loopback peer %s without a proxy needs no token", (peer) => {
    expect(decide({ peer })).toEqual({ allow: true, as: "loopback" });
  });

  it.each(["192.0.2.10", "10.0.0.5", "::ffff:192.0.2.10", "2001:db8::1", "fe80::1", "128.0.0.1", "0.0.0.0", "::", "", "garbage"])("a peer %s that is not loopback is refused without a token", (peer) => {
    const d = decide({ peer });
    expect(d.allow).toBe(false);
    if (!d.allow) expect(d.reason).toMatch(/read or admin token is required/);
  });

  it("a missing peer address (destroyed socket) is refused", () => {
    expect(decide({ peer: undefined }).allow).toBe(false);
  });

  it("a loopback peer that is a trusted proxy is refused (the request came from elsewhere)", () => {
    const d = decide({ peer: "127.0.0.1", trustedProxies: trustedProxyList(["127.0.0.1/32"]) });
    expect(d).toEqual({ allow: false, reason: expect.stringContaining("its peer 127.0.0.1 is a trusted proxy") });
    // ...also in Node's dual-stack spelling
    expect(decide({ peer: "::ffff:127.0.0.1", trustedProxies: trustedProxyList(["127.0.0.0/8"]) }).allow).toBe(false);
  });

  it.each(["x-forwarded-for", "forwarded", "x-real-ip", "via", "x-forwarded-proto", "x-forwarded-host"])("a loopback request with a %s header is refused (a proxy nobody listed)", (h) => {
    const d = decide({ headers: { [h]: "198.51.100.7" } });
    expect(d).toEqual({ allow: false, reason: expect.stringContaining(`a ${h} header`) });
  });

  it("a connection that carried a PROXY protocol header is refused", () => {
    expect(decide({ viaProxyProtocol: true })).toEqual({ allow: false, reason: expect.stringContaining("PROXY protocol") });
  });

  it("loopback = false: this machine needs a token too", () => {
    expect(decide({ policy: { public: false, loopback: false } }).allow).toBe(false);
  });

  it("public = true: everyone, from anywhere, through any proxy", () => {
    expect(decide({ peer: "203.0.113.9", headers: { "x-forwarded-for": "1.2.3.4" }, policy: { public: true, loopback: false } })).toEqual({ allow: true, as: "public" });
  });

  it.each(["read", "admin"] as const)("a %s token opens the views from anywhere", (role) => {
    expect(decide({ role, peer: "203.0.113.9", trustedProxies: trustedProxyList(["203.0.113.0/24"]), headers: { "x-forwarded-for": "1.2.3.4" } })).toEqual({ allow: true, as: "token" });
  });

  it("isLoopbackAddress", () => {
    expect(isLoopbackAddress("127.1.2.3")).toBe(true);
    expect(isLoopbackAddress("::1")).toBe(true);
    expect(isLoopbackAddress("::2")).toBe(false);
    expect(isLoopbackAddress(undefined)).toBe(false);
  });
});

describe("the view cookie", () => {
  it("is HttpOnly, SameSite=Strict, path /, Secure only over HTTPS", () => {
    expect(tokenCookie("lsr_abc", false)).toBe(`${VIEW_COOKIE}=lsr_abc; Path=/; Max-Age=2592000; HttpOnly; SameSite=Strict`);
    expect(tokenCookie("lsr_abc", true)).toMatch(/; Secure$/);
    expect(clearCookie(false)).toMatch(/^lastseen_view=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
  });

  it("is read from a Cookie header among others, and odd values are ignored", () => {
    expect(cookieValue("a=1; lastseen_view=lsr_x-Y_z; b=2", VIEW_COOKIE)).toBe("lsr_x-Y_z");
    expect(cookieValue("lastseen_viewer=1", VIEW_COOKIE)).toBeNull();
    expect(cookieValue("lastseen_view=a;b", VIEW_COOKIE)).toBe("a");
    expect(cookieValue('lastseen_view="<x>"', VIEW_COOKIE)).toBeNull();
    expect(cookieValue(undefined, VIEW_COOKIE)).toBeNull();
  });
});
