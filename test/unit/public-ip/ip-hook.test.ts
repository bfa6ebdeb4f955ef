// The on-change hook's pure rules (retry schedule, alert verdict) and its durable state on a real
// SQLite store: superseding, generations, the failing streak across addresses.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterEach, describe, expect, it } from "vitest";
import { IpHookStore } from "../../../collector/ip/hook-store.js";
import { hookConfigs, hookEnv } from "../../../collector/ip/hook-runner.js";
import { collectorSchema } from "../../../collector/config.js";
import { IP_HOOK_RETRY_MS, ipHookRetryAt, ipHookVerdict } from "../../../collector/rules/ip-hook.js";
import { Store } from "../../../collector/store/store.js";
import { tempDir } from "../../helpers/procs.js";

describe("ip hook rules", () => {
  it("retries after 15 s, 1 min, 5 min, 15 min, then every 30 min", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => ipHookRetryAt(n, 1000) - 1000)).toEqual([15_000, 60_000, 300_000, 900_000, 1_800_000, 1_800_000, 1_800_000]);
    expect(ipHookRetryAt(0, 0, [5])).toBe(5);
    expect(() => ipHookRetryAt(1, 0, [])).toThrow(RangeError);
    expect(IP_HOOK_RETRY_MS[0]).toBe(15_000);
  });

  it("fires while a failure has not been followed by a success", () => {
    const base = { family: 4 as const, address: "127.0.0.1", attempts: 1, lastError: null, nextAttemptAt: null, doneAddress: null };
    expect(ipHookVerdict(null).firing).toBe(false);
    expect(ipHookVerdict({ ...base, status: "pending", failingSince: null }).firing).toBe(false);
    expect(ipHookVerdict({ ...base, status: "failed", failingSince: 5, lastError: "x" }).firing).toBe(true);
    // A newer address is pending, the older one failed: the name is still wrong.
    expect(ipHookVerdict({ ...base, status: "pending", failingSince: 5 }).firing).toBe(true);
    expect(ipHookVerdict({ ...base, status: "ok", failingSince: null }).firing).toBe(false);
  });

  it("reads the [[hosts]] on_ip_change tables and builds the command's environment", () => {
    const c = collectorSchema.parse({
      hosts: [
        { name: "home", on_ip_change: { command: ["/usr/local/bin/update-dns", "home.example.org"], timeout: "20s" } },
        { name: "office", on_ip_change: { url: "https://dyn.example.net/update" } },
        { name: "plain", notify_ip_change: true },
      ],
    });
    const hooks = hookConfigs(c.hosts);
    expect([...hooks.keys()]).toEqual(["home", "office"]);
    expect(hooks.get("home")).toEqual({ command: ["/usr/local/bin/update-dns", "home.example.org"], url: undefined, timeoutMs: 20_000 });
    expect(hooks.get("office")).toEqual({ command: undefined, url: "https://dyn.example.net/update", timeoutMs: 30_000 });
    expect(() => collectorSchema.parse({ hosts: [{ name: "x", on_ip_change: { timeout: "5s" } }] })).toThrow(/give command or url/);
    expect(hookEnv({ host: "home", family: 6, address: "2001:db8::1", previous: "", changedAt: 0, attempt: 2 })).toEqual({
      LASTSEEN_HOST: "home", LASTSEEN_ADDRESS: "2001:db8::1", LASTSEEN_FAMILY: "6", LASTSEEN_PREVIOUS_ADDRESS: "",
      LASTSEEN_CHANGED_AT: "1970-01-01T00:00:00.000Z", LASTSEEN_ATTEMPT: "2",
    });
  });
});

describe("docs/public-ip.md", () => {
  it("its [[hosts]] and on_ip_change examples are valid collector config", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "..", "docs", "public-ip.md"), "utf8");
    const blocks = [...doc.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes("[[hosts]]") || b.includes("on_ip_change"));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) {
      const toml = b.includes("[[hosts]]") ? b : `[[hosts]]\nname = "home"\n${b}`;
      const c = collectorSchema.parse(parseToml(toml));
      for (const h of c.hosts) expect(h.name).toMatch(/^[a-z]/);
    }
    const hooks = hookConfigs(collectorSchema.parse(parseToml(blocks.find((b) => b.includes("lastseen-nsupdate"))!)).hosts);
    expect(hooks.get("home")?.command).toEqual(["/usr/local/bin/lastseen-nsupdate"]);
    expect(hooks.get("office")?.url).toMatch(/^https:\/\//);
  });
});

describe("IpHookStore", () => {
  const dirs: { remove(): void }[] = [];
  const stores: Store[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    for (const d of dirs.splice(0)) d.remove();
  });

  function setup() {
    const d = tempDir("lastseen-hooks-");
    dirs.push(d);
    const store = Store.open(`${d.path}/db.sqlite`);
    stores.push(store);
    return { repo: new IpHookStore(store.db), hostId: store.hosts.ensure("home", 0) };
  }

  it("a newer address supersedes a pending run; the older run's outcome is not recorded", () => {
    const { repo, hostId } = setup();
    repo.request(hostId, 4, "127.0.0.1", "", 100);
    const first = repo.get(hostId, 4)!;
    expect(first).toMatchObject({ address: "127.0.0.1", status: "pending", attempts: 0, nextAttemptAt: 100, generation: 1 });
    expect(repo.waiting()).toEqual([{ hostId, family: 4, nextAttemptAt: 100 }]);

    repo.request(hostId, 4, "127.0.0.2", "127.0.0.1", 200);
    // The run of generation 1 (127.0.0.1) ends after the change: nothing is recorded for it.
    expect(repo.succeeded(hostId, 4, first.generation, 250)).toBe(false);
    expect(repo.get(hostId, 4)).toMatchObject({ address: "127.0.0.2", previous: "127.0.0.1", status: "pending", generation: 2, doneAddress: null });
    expect(repo.succeeded(hostId, 4, 2, 300)).toBe(true);
    expect(repo.get(hostId, 4)).toMatchObject({ status: "ok", attempts: 1, doneAddress: "127.0.0.2", doneAt: 300, nextAttemptAt: null });
    expect(repo.waiting()).toEqual([]);
  });

  it("a failure starts a failing streak that a newer address keeps and only a success ends", () => {
    const { repo, hostId } = setup();
    repo.request(hostId, 6, "::1", "", 100);
    expect(repo.failed(hostId, 6, 1, "LASTSEEN_ERR_IP_HOOK_FAILED: exit 3", 110, 15_110)).toBe(true);
    expect(repo.failed(hostId, 6, 1, "LASTSEEN_ERR_IP_HOOK_TIMEOUT: slow", 15_110, 75_110)).toBe(true);
    expect(repo.get(hostId, 6)).toMatchObject({ status: "failed", attempts: 2, failingSince: 110, lastError: "LASTSEEN_ERR_IP_HOOK_TIMEOUT: slow", nextAttemptAt: 75_110 });
    // Asking again for the same failing address changes nothing (the backoff stays).
    repo.request(hostId, 6, "::1", "", 20_000);
    expect(repo.get(hostId, 6)).toMatchObject({ generation: 1, attempts: 2, nextAttemptAt: 75_110 });
    // A newer address: attempts start again, due at once, the streak goes on.
    repo.request(hostId, 6, "2001:db8::2", "::1", 30_000);
    expect(repo.get(hostId, 6)).toMatchObject({ generation: 2, attempts: 0, status: "pending", nextAttemptAt: 30_000, failingSince: 110 });
    expect(repo.succeeded(hostId, 6, 2, 31_000)).toBe(true);
    expect(repo.get(hostId, 6)).toMatchObject({ failingSince: null, lastError: null, doneAddress: "2001:db8::2" });
    // A succeeded address asked for again (A -> B -> A with B's run done): it runs again.
    repo.request(hostId, 6, "2001:db8::2", "::1", 40_000);
    expect(repo.get(hostId, 6)).toMatchObject({ generation: 3, status: "pending" });
    expect(repo.hostIds()).toEqual([hostId]);
    expect(repo.remove(hostId)).toBe(1);
    expect(repo.forHost(hostId)).toEqual([]);
  });
});
