// [[notify.*]] tables: schema (exact TOML of the issue, strict keys), secrets from files and env,
// channel names. Secret files are real files in a temporary folder unless a test says otherwise.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignNames, createNotifiers, emailOptions, notifyConfigSchema } from "../../../collector/notify/channel-config.js";
import type { NotifyConfig } from "../../../collector/notify/channel-config.js";
import { NotifyError } from "../../../collector/notify/notifier.js";
import { defaultSecretSources, resolveSecret } from "../../../collector/notify/secret.js";
import type { SecretSources } from "../../../collector/notify/secret.js";

const ISSUE_TOML = `
[[notify.email]]
smtp = "smtp://127.0.0.1:2525"
from = "lastseen@example.org"
to = ["owner@example.org"]

[[notify.matrix]]
homeserver = "https://matrix.example.org"
access_token_file = "/etc/lastseen/matrix-token"
room = "!abcdef:example.org"

[[notify.webhook]]
url = "https://hooks.example.org/lastseen"
secret_file = "/etc/lastseen/webhook-secret"
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lastseen-notify-cfg-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(toml: string): NotifyConfig {
  return notifyConfigSchema.parse((parseToml(toml) as { notify: unknown }).notify);
}

function issues(value: unknown): string[] {
  const r = notifyConfigSchema.safeParse(value);
  if (r.success) return [];
  return r.error.issues.map((i) => `${i.path.join(".")}: ${i.code === "unrecognized_keys" ? `unknown ${i.keys.join(",")}` : i.message}`);
}

function configError(fn: () => unknown): NotifyError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(NotifyError);
  expect((caught as NotifyError).code).toBe("LASTSEEN_ERR_NOTIFY_CONFIG");
  return caught as NotifyError;
}

const noSecrets: SecretSources = {
  env: {},
  readFile: (p) => {
    throw Object.assign(new Error(`ENOENT ${p}`), { code: "ENOENT" });
  },
};

describe("notify channel config", () => {
  it("accepts the issue's TOML exactly as written and builds email, matrix and webhook", () => {
    const cfg = parse(ISSUE_TOML);
    expect(cfg.email[0]).toMatchObject({ smtp: "smtp://127.0.0.1:2525", from: "lastseen@example.org", to: ["owner@example.org"], require_tls: false, timeout: 30_000 });
    expect(cfg.matrix[0]).toMatchObject({ homeserver: "https://matrix.example.org", access_token_file: "/etc/lastseen/matrix-token", room: "!abcdef:example.org" });
    expect(cfg.webhook[0]).toMatchObject({ url: "https://hooks.example.org/lastseen", secret_file: "/etc/lastseen/webhook-secret", headers: {} });
    expect(cfg.exec).toEqual([]);

    const files: Record<string, string> = { "/etc/lastseen/matrix-token": "syt_x\n", "/etc/lastseen/webhook-secret": "hook\n" };
    const ns = createNotifiers(cfg, { secrets: { env: {}, readFile: (p) => files[p]! } });
    expect(ns.map((n) => [n.name, n.type])).toEqual([
      ["email", "email"],
      ["matrix", "matrix"],
      ["webhook", "webhook"],
    ]);
  });

  it("rejects misspelt keys, at the top of notify and inside a table", () => {
    expect(issues({ emial: [] })).toEqual([": unknown emial"]);
    expect(issues({ matrix: [{ homeserver: "https://m.example.org", acess_token_file: "/t", room: "!a:b" }] })).toContain("matrix.0: unknown acess_token_file");
    expect(issues({ webhook: [{ url: "https://h.example.org", secret_file: "/s", header: {} }] })).toContain("webhook.0: unknown header");
  });

  it("rejects wrong values with a reason", () => {
    const email = { smtp: "smtp://127.0.0.1:2525", from: "lastseen@example.org", to: ["owner@example.org"] };
    expect(issues({ email: [{ ...email, smtp: "http://mail.example.org" }] })[0]).toMatch(/scheme http: is not supported/);
    expect(issues({ email: [{ ...email, smtp: "smtp://mail.example.org/path?x=1" }] })[0]).toMatch(/no path or query/);
    expect(issues({ email: [{ ...email, to: [] }] })).toHaveLength(1);
    expect(issues({ email: [{ ...email, to: "owner@example.org" }] })).toHaveLength(1);
    expect(issues({ email: [{ ...email, from: "lastseen" }] })[0]).toMatch(/not an email address/);
    expect(issues({ email: [{ ...email, timeout: "soon" }] })[0]).toMatch(/not a duration/);
    expect(issues({ matrix: [{ homeserver: "matrix.example.org", access_token_file: "/t", room: "!a:b" }] })[0]).toMatch(/http\(s\) URL/);
    expect(issues({ matrix: [{ homeserver: "https://m.example.org", access_token_file: "/t", room: "alerts" }] })[0]).toMatch(/room id/);
    expect(issues({ webhook: [{ url: "https://h.example.org", secret_file: "/s", headers: { "X-Lastseen-Signature": "x" } }] })[0]).toMatch(/cannot be overridden/);
    expect(issues({ exec: [{ command: [] }] })).toHaveLength(1);
    expect(issues({ exec: [{ command: "notify-send" }] })).toHaveLength(1);
    expect(issues({ exec: [{ command: ["/bin/true"], timeout: "2m" }] })).toEqual([]);
    expect(issues({ email: [{ ...email, name: "ops mail" }] })[0]).toMatch(/letters, digits/);
  });

  it("does not repeat an unparseable smtp URL (it may hold a password) in the error", () => {
    const msgs = issues({ email: [{ smtp: "smtp://user:hunter2@[bad", from: "a@example.org", to: ["b@example.org"] }] });
    expect(msgs[0]).toMatch(/not a URL/);
    expect(msgs.join()).not.toContain("hunter2");
  });

  it("reads *_file secrets from disk once, trimmed; an unreadable file names the key and the file", () => {
    const tokenFile = join(dir, "matrix-token");
    writeFileSync(tokenFile, "\n  syt_secret_token  \n");
    expect(resolveSecret({ file: tokenFile }, "notify.matrix[0]", "access_token", defaultSecretSources)).toEqual({ value: "syt_secret_token", source: "file" });

    const cfg = notifyConfigSchema.parse({ matrix: [{ homeserver: "https://m.example.org", access_token_file: tokenFile, room: "#a:b" }] });
    const reads: string[] = [];
    const ns = createNotifiers(cfg, { secrets: { env: {}, readFile: (p) => (reads.push(p), defaultSecretSources.readFile(p)) } });
    expect(ns).toHaveLength(1);
    expect(reads).toEqual([tokenFile]);

    const missing = join(dir, "does-not-exist");
    const cfg2 = notifyConfigSchema.parse({ matrix: [{ homeserver: "https://m.example.org", access_token_file: missing, room: "#a:b" }] });
    const err = configError(() => createNotifiers(cfg2));
    expect(err.message).toBe(`notify.matrix[0].access_token_file: cannot read the secret file ${missing} (ENOENT)`);
  });

  it("names the key and file of an empty secret file, and the variable of a missing env secret", () => {
    const empty = join(dir, "empty");
    writeFileSync(empty, "  \n");
    const e1 = configError(() => createNotifiers(notifyConfigSchema.parse({ webhook: [{ url: "https://h.example.org", secret_file: empty }] })));
    expect(e1.message).toBe(`notify.webhook[0].secret_file: the secret file ${empty} is empty`);

    const cfg = notifyConfigSchema.parse({ webhook: [{ url: "https://h.example.org", secret_env: "LASTSEEN_HOOK_SECRET" }] });
    const e2 = configError(() => createNotifiers(cfg, { secrets: { env: {}, readFile: noSecrets.readFile } }));
    expect(e2.message).toBe("notify.webhook[0].secret_env: the environment variable LASTSEEN_HOOK_SECRET is not set or empty");
    expect(createNotifiers(cfg, { secrets: { env: { LASTSEEN_HOOK_SECRET: "s" }, readFile: noSecrets.readFile } })).toHaveLength(1);

    const e3 = configError(() =>
      createNotifiers(notifyConfigSchema.parse({ webhook: [{ url: "https://h.example.org", headers: { Authorization: { env: "NTFY_AUTH" } }, secret: "x" }] }), {
        secrets: noSecrets,
      }),
    );
    expect(e3.message).toBe("notify.webhook[0].headers.Authorization.env: the environment variable NTFY_AUTH is not set or empty");
  });

  it("requires exactly one source per secret and warns about inline ones without logging the value", () => {
    const both = notifyConfigSchema.parse({ matrix: [{ homeserver: "https://m.example.org", access_token: "abc", access_token_env: "T", room: "!a:b" }] });
    expect(configError(() => createNotifiers(both, { secrets: noSecrets })).message).toBe(
      "notify.matrix[0]: set only one of access_token, access_token_file and access_token_env",
    );
    const none = notifyConfigSchema.parse({ matrix: [{ homeserver: "https://m.example.org", room: "!a:b" }] });
    expect(configError(() => createNotifiers(none, { secrets: noSecrets })).message).toMatch(/missing access_token_file \(recommended\)/);

    const warnings: { obj: object; msg: string }[] = [];
    const inline = notifyConfigSchema.parse({
      matrix: [{ homeserver: "https://m.example.org", access_token: "syt_inline_value", room: "!a:b" }],
      email: [{ smtp: "smtp://u:pw_inline_value@127.0.0.1:25", from: "a@example.org", to: ["b@example.org"] }],
    });
    createNotifiers(inline, { secrets: noSecrets, log: { warn: (obj, msg) => void warnings.push({ obj, msg }) } });
    expect(warnings.map((w) => w.obj)).toEqual([{ key: "notify.email[0].password" }, { key: "notify.matrix[0].access_token" }]);
    expect(JSON.stringify(warnings)).not.toMatch(/inline_value/);
  });

  it("splits the smtp URL: schemes, default ports, credentials in the URL or in keys", () => {
    const base = { from: "a@example.org", to: ["b@example.org"] };
    const opt = (c: object, secrets: SecretSources = noSecrets) => emailOptions(notifyConfigSchema.parse({ email: [{ ...base, ...c }] }).email[0]!, "notify.email[0]", "email", secrets);
    expect(opt({ smtp: "smtp://mail.example.org" }).options).toMatchObject({ host: "mail.example.org", port: 587, secure: false, requireTls: false, auth: undefined });
    expect(opt({ smtp: "smtps://mail.example.org" }).options).toMatchObject({ port: 465, secure: true });
    expect(opt({ smtp: "smtp://[::1]:2525", require_tls: true }).options).toMatchObject({ host: "::1", port: 2525, requireTls: true });
    expect(opt({ smtp: "smtp://a%40b:p%3Ass@mail.example.org" })).toMatchObject({ options: { auth: { user: "a@b", pass: "p:ss" } }, inlinePassword: true });
    expect(opt({ smtp: "smtp://mail.example.org", username: "u", password_env: "P" }, { env: { P: "pw" }, readFile: noSecrets.readFile })).toMatchObject({
      options: { auth: { user: "u", pass: "pw" } },
      inlinePassword: false,
    });
    expect(configError(() => opt({ smtp: "smtp://u:p@mail.example.org", password_env: "P" }, { env: { P: "x" }, readFile: noSecrets.readFile })).message).toMatch(/password is set twice/);
    expect(configError(() => opt({ smtp: "smtp://u@mail.example.org", username: "v" })).message).toMatch(/user name is set twice/);
    expect(configError(() => opt({ smtp: "smtp://mail.example.org", username: "u" })).message).toMatch(/no password/);
    expect(configError(() => opt({ smtp: "smtp://mail.example.org", ca_file: join(dir, "missing-ca.pem") }, { env: {}, readFile: (p) => { throw Object.assign(new Error(p), { code: "ENOENT" }); } })).message).toBe(
      `notify.email[0].ca_file: cannot read ${join(dir, "missing-ca.pem")} (ENOENT)`,
    );
  });

  it("names channels: explicit names win, defaults are type, type-2, ... and never collide", () => {
    const e = { smtp: "smtp://127.0.0.1:25", from: "a@example.org", to: ["b@example.org"] };
    const x = { command: ["/bin/true"] };
    const cfg = notifyConfigSchema.parse({ email: [e, { ...e, name: "email-2" }, e, e], exec: [{ ...x, name: "pager" }, x] });
    const names = assignNames(cfg);
    expect([...names.entries()]).toEqual(
      expect.arrayContaining([
        ["email:0", "email"],
        ["email:1", "email-2"],
        ["email:2", "email-3"],
        ["email:3", "email-4"],
        ["exec:0", "pager"],
        ["exec:1", "exec"],
      ]),
    );
    const ns = createNotifiers(cfg, { secrets: noSecrets });
    expect(new Set(ns.map((n) => n.name)).size).toBe(ns.length);

    const dup = notifyConfigSchema.parse({ email: [{ ...e, name: "ops" }], exec: [{ ...x, name: "OPS" }] });
    expect(configError(() => assignNames(dup)).message).toBe('notify.exec[0].name: the channel name "OPS" is already used by notify.email[0]');
  });
});
