// The status page in a real headless Chromium (Debian's chromium driven by playwright-core), served
// by a real collector with two real agents (fleet.ts): both hosts with state and addresses, the
// failed job, the host page with findings, IP history and job runs, everything agents send shown
// as text, a phone-sized layout without sideways scrolling, and the token flow through a trusted
// reverse proxy (where this machine's free pass does not apply). Screenshots are kept in
// test/artifacts/ (status-page.png, status-page-phone.png, status-page-host.png).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/procs.js";
import { BETA_V4, BETA_V6, HOSTILE_OUTPUT, SILENCE_REASON, startFleet, type Fleet } from "./fleet.js";
import { missing } from "../../helpers/requirement.js";

// What the functions evaluated in the page use (tsconfig has no DOM library).
declare const document: { documentElement: { scrollWidth: number }; cookie: string };
declare function getComputedStyle(el: unknown): { display: string };

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test", "artifacts");
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[status-page] SKIPPED: no ${CHROMIUM} (Debian: apt-get install chromium; .ci/run installs it)`);

describe.skipIf(missing(hasChromium, `chromium (${CHROMIUM})`))("status page in headless Chromium", () => {
  let fleet: Fleet;
  let browser: Browser;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // launch() starts Chromium with a new, empty profile in a temporary user-data-dir of its own
    // (and removes it on close); every context below is a fresh incognito-like session in it.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    fleet = await startFleet();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await fleet?.stop();
  });

  async function open(ctx: BrowserContext, url: string): Promise<{ page: Page; status: number }> {
    const page = await ctx.newPage();
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`); });
    page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    page.on("dialog", (d) => { consoleErrors.push(`dialog: ${d.message()}`); void d.dismiss(); });
    const res = await page.goto(url, { waitUntil: "load" });
    return { page, status: res?.status() ?? 0 };
  }

  it("from this machine, without a token: every host with state, last seen, addresses, restarts, jobs and alerts", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page, status } = await open(ctx, fleet.collector.url + "/");
    expect(status).toBe(200);
    expect(await page.title()).toMatch(/^lastseen: 2 hosts, \d+ firing$/);
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute("content")).toBe("30");

    const alpha = page.locator('#hosts tr[data-host="alpha"]');
    const beta = page.locator('#hosts tr[data-host="beta"]');
    await expect.poll(() => alpha.locator("td[data-label=State]").innerText()).toContain("up");
    expect(await alpha.locator("td[data-label=IPv4]").innerText()).toBe("127.0.0.1");
    expect(await alpha.locator("td[data-label=Jobs]").innerText()).toMatch(/nightly\s+ok/);
    expect(await alpha.locator("td[data-label=State]").innerText()).toContain("silenced until");
    expect(await beta.locator("td[data-label=State]").innerText()).toContain("up");
    expect(await beta.locator("td[data-label=IPv4]").innerText()).toBe(BETA_V4);
    expect(await beta.locator("td[data-label=IPv6]").innerText()).toBe(BETA_V6);
    expect(await beta.locator("td[data-label=Restarts]").innerText()).toMatch(/\d+ process/);
    expect(await beta.locator("td[data-label=Jobs]").innerText()).toMatch(/backup\s+failed/);
    expect(await beta.locator("td[data-label=Alerts]").innerText()).toContain("job.failed:backup");

    // Last seen: relative, with the absolute time in the configured zone (Europe/Berlin).
    const lastSeen = await beta.locator("td[data-label='Last seen']").innerText();
    expect(lastSeen).toMatch(/(just now|\d+ s ago)/);
    expect(lastSeen).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (CET|CEST|GMT\+[12])/);

    const failedJob = page.locator('table.jobs tr[data-job="backup"]');
    expect(await failedJob.innerText()).toMatch(/failed[\s\S]*exit 3/);
    expect(await page.locator("#alerts").innerText()).toContain("job.failed: backup");
    // The silence reason is the agent operator's text: shown, never interpreted.
    expect(await page.locator("#silences").innerText()).toContain(SILENCE_REASON);
    expect(await page.locator("#injected-reason").count()).toBe(0);

    await page.screenshot({ path: join(ARTIFACTS, "status-page.png"), fullPage: true });
    await ctx.close();
  });

  it("on a phone-sized screen (390x844): one card per host, nothing wider than the screen", async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const { page, status } = await open(ctx, fleet.collector.url + "/");
    expect(status).toBe(200);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator("#hosts thead").evaluate((el) => getComputedStyle(el).display)).toBe("none");
    const card = page.locator('#hosts tr[data-host="beta"]');
    expect(await card.evaluate((el) => getComputedStyle(el).display)).toBe("block");
    expect(await card.innerText()).toContain(BETA_V6);
    await page.screenshot({ path: join(ARTIFACTS, "status-page-phone.png"), fullPage: true });
    await ctx.close();
  });

  it("the host page: findings with the restart hint, IP history, job runs with their output as text", async () => {
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const { page } = await open(ctx, fleet.collector.url + "/");
    await page.locator('#hosts tr[data-host="beta"] td.title a').click();
    await page.waitForURL(/\/hosts\/beta$/);
    expect(await page.locator("#host-name").innerText()).toMatch(/^beta\s+up$/);

    const finding = page.locator("#findings tr", { hasText: `pid ${fleet.stalePid}` });
    expect(await finding.count()).toBe(1);
    expect(await finding.locator("td[data-label='Deleted files']").innerText()).toBe(fleet.staleLib);
    expect(await finding.locator("td[data-label=Restart]").innerText()).toMatch(new RegExp(`^(systemctl restart \\S+|restart pid ${fleet.stalePid} \\(sleep\\))$`));

    const history = await page.locator("#ip-history").innerText();
    expect(history).toContain(BETA_V4);
    expect(history).toContain(BETA_V6);
    expect(await page.locator("#ip-history tbody tr").count()).toBe(2);

    const runs = page.locator('table.runs[data-job="backup"]');
    expect(await runs.locator("td[data-label=Result]").first().innerText()).toMatch(/failed\s+exit 3/);
    await runs.locator("summary").first().click();
    expect(await runs.locator("pre").first().innerText()).toContain(HOSTILE_OUTPUT);
    expect(await page.locator("#injected").count()).toBe(0);
    expect(await page.title()).toBe("lastseen: beta (up)");
    await page.screenshot({ path: join(ARTIFACTS, "status-page-host.png"), fullPage: true });

    const missing = await open(ctx, fleet.collector.url + "/hosts/no-such-host");
    expect(missing.status).toBe(404);
    expect(await missing.page.locator("main").innerText()).toContain("no-such-host");
    await ctx.close();
  });

  it("through the trusted proxy, a token is needed; ?token= sets an HttpOnly SameSite=Strict cookie and is removed from the URL", async () => {
    const ctx = await browser.newContext();
    const refused = await open(ctx, fleet.proxy.url + "/");
    expect(refused.status).toBe(401);
    expect(await refused.page.locator("main").innerText()).toMatch(/token is needed[\s\S]*trusted proxy/);
    expect(await refused.page.locator('#hosts').count()).toBe(0);

    const wrong = await open(ctx, fleet.proxy.url + "/?token=lsr_not-a-real-token");
    expect(wrong.status).toBe(401);
    const agent = await open(ctx, `${fleet.proxy.url}/?token=${fleet.agentToken}`);
    expect(agent.status).toBe(401);

    // The form on the 401 page, as a person would use it.
    await refused.page.locator("input[name=token]").fill(fleet.readToken);
    await Promise.all([refused.page.waitForURL(`${fleet.proxy.url}/`), refused.page.locator("form.token button").click()]);
    const page = refused.page;
    expect(page.url()).toBe(`${fleet.proxy.url}/`);
    expect(await page.locator('#hosts tr[data-host="beta"]').count()).toBe(1);
    const [cookie] = (await ctx.cookies()).filter((c) => c.name === "lastseen_view");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(await page.evaluate(() => document.cookie)).toBe("");

    const next = await open(ctx, fleet.proxy.url + "/hosts/alpha");
    expect(next.status).toBe(200);
    expect(await next.page.locator("#host-name").innerText()).toMatch(/^alpha/);
    await ctx.close();
  });

  it("the cookie opens only the views, never the JSON API", async () => {
    const ctx = await browser.newContext();
    await open(ctx, `${fleet.proxy.url}/?token=${fleet.readToken}`);
    const api = await ctx.request.get(fleet.proxy.url + "/v1/hosts");
    expect(api.status()).toBe(401);
    const view = await ctx.request.get(fleet.proxy.url + "/hosts/beta");
    expect(view.status()).toBe(200);
    await ctx.close();
  });

  it("left no errors in the browser console (CSP violations included)", () => {
    expect(consoleErrors.filter((e) => !/status of 40[14]/.test(e))).toEqual([]);
  });
});
