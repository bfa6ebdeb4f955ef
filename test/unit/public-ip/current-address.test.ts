// Which address is current when the collector's view of the connection and the agent's report
// disagree (pure), and the tracker that applies it to a real SQLite store.
import { afterEach, describe, expect, it } from "vitest";
import { addressRank, chooseCurrent, feedOf, observeView, sourceKind, type AddressView } from "../../../collector/ip/current-address.js";
import { AddressTracker } from "../../../collector/ip/address-tracker.js";
import { Store } from "../../../collector/store/store.js";
import { addressFamily } from "../../../proto/ip.js";
import { tempDir } from "../../helpers/procs.js";

const view = (feed: "peer" | "agent", address: string, since: number, sources = [feed === "peer" ? "peer" : "stun"]): AddressView => ({ feed, address, since, lastSeen: since, sources });

// Addresses as data only (nothing is sent anywhere): 81.2.69.160 stands for a public IPv4 address.
const PUBLIC = "81.2.69.160";
const PUBLIC_NEW = "81.2.69.161";

describe("chooseCurrent", () => {
  it("prefers a public address over a CGNAT one over anything else, whatever is newer", () => {
    expect(addressRank(PUBLIC)).toBe(2);
    expect(addressRank("100.64.1.2")).toBe(1);
    expect(addressRank("10.8.0.2")).toBe(0);
    expect(addressRank("127.0.0.1")).toBe(0);
    expect(addressRank("2a00:1450::1")).toBe(2);
    expect(addressRank("fd00::1")).toBe(0);
    // A VPN path: the connection shows a private address, the agent's sources the public one.
    expect(chooseCurrent([view("agent", PUBLIC, 1), view("peer", "10.8.0.2", 5)])?.address).toBe(PUBLIC);
    expect(chooseCurrent([view("peer", "100.64.1.2", 1), view("agent", "192.168.1.10", 9)])?.address).toBe("100.64.1.2");
  });

  it("between equals, the feed that changed last wins; a tie goes to the peer", () => {
    expect(chooseCurrent([view("agent", PUBLIC, 1), view("peer", PUBLIC_NEW, 2)])?.address).toBe(PUBLIC_NEW);
    expect(chooseCurrent([view("peer", PUBLIC_NEW, 2), view("agent", PUBLIC, 3)])?.address).toBe(PUBLIC);
    expect(chooseCurrent([view("agent", PUBLIC, 2), view("peer", PUBLIC_NEW, 2)])?.feed).toBe("peer");
    expect(chooseCurrent([])).toBeNull();
  });

  it("repeating an address keeps its since; a new one starts it again", () => {
    const v1 = observeView(null, "peer", PUBLIC, "peer", 100);
    const v2 = observeView(v1, "peer", PUBLIC, "peer", 200);
    expect(v2).toEqual({ feed: "peer", address: PUBLIC, since: 100, lastSeen: 200, sources: ["peer"] });
    const a = observeView(observeView(null, "agent", PUBLIC, "stun", 100), "agent", PUBLIC, "dns", 150);
    expect(a.sources).toEqual(["stun", "dns"]);
    expect(observeView(v2, "peer", PUBLIC_NEW, "peer", 300)).toEqual({ feed: "peer", address: PUBLIC_NEW, since: 300, lastSeen: 300, sources: ["peer"] });
  });

  it("names feeds and source kinds", () => {
    expect(feedOf("peer")).toBe("peer");
    expect(feedOf("stun:collector")).toBe("agent");
    expect(feedOf("collector")).toBe("agent");
    expect(["stun:collector", "stun:stun.example.net", "dns:opendns", "http:ip.example", "router", "interface", "collector", ""].map(sourceKind))
      .toEqual(["stun", "stun", "dns", "http", "router", "interface", "collector", "agent"]);
  });
});

describe("AddressTracker on a real store", () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });

  function setup() {
    const d = tempDir("lastseen-tracker-");
    dirs.push(d);
    const store = Store.open(`${d.path}/db.sqlite`);
    const hostId = store.hosts.ensure("home", 0);
    const changes: string[] = [];
    const tracker = new AddressTracker(store, { changed: (_h, f, prev, cur, src) => changes.push(`${f} ${prev ?? "-"} -> ${cur} (${src})`) });
    const observe = (address: string, source: string, at: number) => store.transaction(() => tracker.observe(hostId, (addressFamily(address) || 4) as 4 | 6, address, source, at));
    return { store, hostId, changes, observe, close: () => store.close() };
  }

  it("A -> B -> A from the peer: three periods, three changes (the first with no previous)", () => {
    const t = setup();
    t.observe("::ffff:127.0.0.1", "peer", 1);
    t.observe("127.0.0.1", "peer", 2);
    t.observe("127.0.0.2", "peer", 3);
    t.observe("127.0.0.1", "peer", 4);
    expect(t.changes).toEqual(["4 - -> 127.0.0.1 (peer)", "4 127.0.0.1 -> 127.0.0.2 (peer)", "4 127.0.0.2 -> 127.0.0.1 (peer)"]);
    expect(t.store.addresses.history(t.hostId).map((p) => [p.address, p.firstSeen, p.lastSeen])).toEqual([["127.0.0.1", 4, 4], ["127.0.0.2", 3, 3], ["127.0.0.1", 1, 2]]);
    expect(t.store.addresses.previous(t.hostId, 4)).toBe("127.0.0.2");
    t.close();
  });

  it("a VPN path: the agent's public address wins and stays, however often the peer repeats its own", () => {
    const t = setup();
    t.observe("10.8.0.2", "peer", 1);
    t.observe(PUBLIC, "collector", 2);
    t.observe(PUBLIC, "stun:collector", 2);
    for (let i = 3; i < 10; i++) {
      t.observe("10.8.0.2", "peer", i);
      t.observe(PUBLIC, "dns:opendns", i);
    }
    expect(t.changes).toEqual(["4 - -> 10.8.0.2 (peer)", `4 10.8.0.2 -> ${PUBLIC} (collector)`]);
    const [cur] = t.store.addresses.current(t.hostId);
    expect(cur).toMatchObject({ address: PUBLIC, lastSeen: 9, sources: ["collector", "stun", "dns"] });
    // The agent's line changes: news again.
    t.observe(PUBLIC_NEW, "stun:collector", 10);
    expect(t.changes.at(-1)).toBe(`4 ${PUBLIC} -> ${PUBLIC_NEW} (stun)`);
    t.close();
  });

  it("two public addresses that keep disagreeing do not flap; whichever changes is news", () => {
    const t = setup();
    t.observe(PUBLIC, "peer", 1);
    t.observe(PUBLIC, "stun:collector", 1);
    // The line changes: the reconnect brings the new address first, the agent's old report repeats.
    t.observe(PUBLIC_NEW, "peer", 5);
    for (let i = 6; i < 12; i++) {
      t.observe(PUBLIC, "stun:collector", i);
      t.observe(PUBLIC_NEW, "peer", i);
    }
    expect(t.changes).toEqual([`4 - -> ${PUBLIC} (peer)`, `4 ${PUBLIC} -> ${PUBLIC_NEW} (peer)`]);
    // The agent learns the new address too: agreement, no change.
    t.observe(PUBLIC_NEW, "stun:collector", 12);
    expect(t.changes).toHaveLength(2);
    expect(t.store.addresses.current(t.hostId)[0]).toMatchObject({ address: PUBLIC_NEW, sources: ["peer", "stun"] });
    t.close();
  });

  it("keeps the families apart and ignores an address of the other family or garbage", () => {
    const t = setup();
    t.observe("::1", "peer", 1);
    t.store.transaction(() => new AddressTracker(t.store, { changed: () => t.changes.push("bad") }).observe(t.hostId, 4, "::1", "peer", 2));
    t.store.transaction(() => new AddressTracker(t.store, { changed: () => t.changes.push("bad") }).observe(t.hostId, 4, "not an address", "peer", 2));
    expect(t.changes).toEqual(["6 - -> ::1 (peer)"]);
    expect(t.store.addresses.current(t.hostId).map((p) => p.family)).toEqual([6]);
    t.close();
  });
});
