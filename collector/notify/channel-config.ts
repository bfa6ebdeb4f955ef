// The [[notify.*]] tables of the collector's TOML config: zod schemas (snake_case keys, strict so
// a typo is an error) and createNotifiers(), which resolves secrets and builds one Notifier per
// table with a unique name ("email", "email-2", "matrix", ... unless `name` is set).
//
// Secrets: `X_file` (read once, trimmed; recommended), `X_env` (name of an environment variable)
// or inline `X` (works, logged as discouraged: config files end up in backups and bug reports).
import { z } from "zod";
import { duration } from "../../proto/config-fields.js";
import { EmailNotifier } from "./email.js";
import type { EmailChannelOptions } from "./email.js";
import { addressDomain } from "./email.js";
import { ExecNotifier } from "./exec.js";
import { MatrixNotifier } from "./matrix.js";
import { NotifyError } from "./notifier.js";
import type { Notifier } from "./notifier.js";
import { defaultSecretSources, requireSecret, resolveSecret, resolveValueRef } from "./secret.js";
import type { SecretSources } from "./secret.js";
import { RESERVED_WEBHOOK_HEADERS, WebhookNotifier } from "./webhook.js";

/** 30 s: per request (HTTP), per connection stage (SMTP), per run (exec). */
const DEFAULT_TIMEOUT_MS = 30_000;

const channelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, "use letters, digits, - and _ (at most 63), e.g. \"ops-mail\"")
  .optional();

const secretPart = z.string().min(1).optional();

/** `"text"`, `{ file = "/path" }` or `{ env = "NAME" }`: header and environment values. */
const valueRef = z.union([
  z.string(),
  z.object({ file: z.string().min(1) }).strict(),
  z.object({ env: z.string().min(1) }).strict(),
]);

const smtpUrl = z.string().superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    // No detail from URL(): its message would repeat the value, which may hold a password.
    ctx.addIssue({ code: "custom", message: "not a URL (expected smtp://host:port or smtps://host:port)" });
    return;
  }
  if (u.protocol !== "smtp:" && u.protocol !== "smtps:") {
    ctx.addIssue({ code: "custom", message: `scheme ${u.protocol} is not supported (use smtp:// with STARTTLS or smtps:// for implicit TLS)` });
  } else if (!u.hostname) {
    ctx.addIssue({ code: "custom", message: "the URL has no host" });
  } else if ((u.pathname !== "" && u.pathname !== "/") || u.search || u.hash) {
    ctx.addIssue({ code: "custom", message: "the URL may only hold user:password@host:port (no path or query)" });
  }
});

export const emailChannelSchema = z
  .object({
    name: channelName,
    /** smtp://[user:password@]host[:port] (STARTTLS when offered, port 587) or smtps:// (implicit TLS, port 465). */
    smtp: smtpUrl,
    username: z.string().min(1).optional(),
    password: secretPart,
    password_file: secretPart,
    password_env: secretPart,
    /** smtp:// only: refuse to send unless the server offers STARTTLS. */
    require_tls: z.boolean().default(false),
    /** PEM file of a private CA that signed the SMTP server's certificate. */
    ca_file: z.string().min(1).optional(),
    from: z.string().refine((v) => addressDomain(v) !== undefined, "not an email address (e.g. \"lastseen@example.org\")"),
    to: z.array(z.string().regex(/^[^@\s<>]+@[^@\s<>]+$/, "not an email address")).min(1),
    timeout: duration({ min: 1000, max: 600_000 }).default(DEFAULT_TIMEOUT_MS),
  })
  .strict();

export const matrixChannelSchema = z
  .object({
    name: channelName,
    homeserver: z.url({ protocol: /^https?$/, error: "not an http(s) URL (e.g. \"https://matrix.example.org\")" }),
    access_token: secretPart,
    access_token_file: secretPart,
    access_token_env: secretPart,
    /** A room id "!abc:example.org" or an alias "#alerts:example.org". */
    room: z.string().regex(/^[!#][^:\s]+(:[^\s]+)?$/, "not a room id (!abc:example.org) or alias (#alerts:example.org)"),
    timeout: duration({ min: 1000, max: 600_000 }).default(DEFAULT_TIMEOUT_MS),
  })
  .strict();

export const webhookChannelSchema = z
  .object({
    name: channelName,
    url: z.url({ protocol: /^https?$/, error: "not an http(s) URL" }),
    secret: secretPart,
    secret_file: secretPart,
    secret_env: secretPart,
    /** Extra request headers, e.g. { Authorization = { file = "/etc/lastseen/hook-auth" } }. */
    headers: z
      .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "not an HTTP header name"), valueRef)
      .refine((h) => Object.keys(h).every((k) => !RESERVED_WEBHOOK_HEADERS.includes(k.toLowerCase())), {
        message: `these headers are set by lastseen and cannot be overridden: ${RESERVED_WEBHOOK_HEADERS.join(", ")}`,
      })
      .default({}),
    timeout: duration({ min: 1000, max: 600_000 }).default(DEFAULT_TIMEOUT_MS),
  })
  .strict();

export const execChannelSchema = z
  .object({
    name: channelName,
    /** argv, run without a shell: ["/usr/local/bin/notify-sms", "--to", "+4912345"]. */
    command: z.array(z.string().min(1)).min(1),
    /** Extra environment variables; the command inherits only PATH, HOME, LANG and a few more. */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "not an environment variable name"), valueRef).default({}),
    timeout: duration({ min: 100, max: 3_600_000 }).default(DEFAULT_TIMEOUT_MS),
  })
  .strict();

/** The `notify` table: `[[notify.email]]`, `[[notify.matrix]]`, `[[notify.webhook]]`, `[[notify.exec]]`. */
export const notifyConfigSchema = z
  .object({
    email: z.array(emailChannelSchema).default([]),
    matrix: z.array(matrixChannelSchema).default([]),
    webhook: z.array(webhookChannelSchema).default([]),
    exec: z.array(execChannelSchema).default([]),
  })
  .strict();

export type EmailChannelConfig = z.output<typeof emailChannelSchema>;
export type MatrixChannelConfig = z.output<typeof matrixChannelSchema>;
export type WebhookChannelConfig = z.output<typeof webhookChannelSchema>;
export type ExecChannelConfig = z.output<typeof execChannelSchema>;
export type NotifyConfig = z.output<typeof notifyConfigSchema>;
/** What a TOML file may hold (before defaults are applied). */
export type NotifyConfigInput = z.input<typeof notifyConfigSchema>;

/** Logger shape createNotifiers warns through (a pino logger fits). */
export interface NotifyConfigLog {
  warn(obj: object, msg: string): void;
}

export interface CreateNotifiersDeps {
  /** Where `*_file` and `*_env` secrets are read; default: the real files and process.env. */
  readonly secrets?: SecretSources;
  /** Clock for webhook timestamps and Retry-After dates. */
  readonly now?: () => Date;
  /** Gets one warning per inline secret. */
  readonly log?: NotifyConfigLog;
}

type ChannelType = "email" | "matrix" | "webhook" | "exec";

/**
 * Builds one Notifier per configured table. Throws NotifyError LASTSEEN_ERR_NOTIFY_CONFIG
 * (naming the table and key) for a duplicate name, an unreadable secret file, a missing
 * environment variable or contradicting keys. Does no network I/O: call init() for that.
 */
export function createNotifiers(cfg: NotifyConfig, deps: CreateNotifiersDeps = {}): Notifier[] {
  const secrets = deps.secrets ?? defaultSecretSources;
  const names = assignNames(cfg);
  const warnInline = (where: string, key: string, inline: boolean): void => {
    if (inline) deps.log?.warn({ key: `${where}.${key}` }, `inline secret in the config file; prefer ${key}_file or ${key}_env`);
  };
  const out: Notifier[] = [];

  cfg.email.forEach((c, i) => {
    const where = `notify.email[${i}]`;
    const options = emailOptions(c, where, names.get(`email:${i}`)!, secrets);
    warnInline(where, "password", options.inlinePassword);
    out.push(new EmailNotifier(options.options));
  });

  cfg.matrix.forEach((c, i) => {
    const where = `notify.matrix[${i}]`;
    const token = requireSecret({ inline: c.access_token, file: c.access_token_file, env: c.access_token_env }, where, "access_token", secrets);
    warnInline(where, "access_token", token.source === "inline");
    out.push(
      new MatrixNotifier({ name: names.get(`matrix:${i}`)!, homeserver: c.homeserver, accessToken: token.value, room: c.room, timeoutMs: c.timeout, now: deps.now }),
    );
  });

  cfg.webhook.forEach((c, i) => {
    const where = `notify.webhook[${i}]`;
    const secret = requireSecret({ inline: c.secret, file: c.secret_file, env: c.secret_env }, where, "secret", secrets);
    warnInline(where, "secret", secret.source === "inline");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.headers)) headers[k] = resolveValueRef(v, `${where}.headers.${k}`, secrets);
    out.push(new WebhookNotifier({ name: names.get(`webhook:${i}`)!, url: c.url, secret: secret.value, headers, timeoutMs: c.timeout, now: deps.now }));
  });

  cfg.exec.forEach((c, i) => {
    const where = `notify.exec[${i}]`;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.env)) env[k] = resolveValueRef(v, `${where}.env.${k}`, secrets);
    out.push(new ExecNotifier({ name: names.get(`exec:${i}`)!, command: c.command, env, timeoutMs: c.timeout, parentEnv: secrets.env }));
  });

  return out;
}

/** Email options from the table: the smtp URL split into host, port, TLS mode and login. */
export function emailOptions(
  c: EmailChannelConfig,
  where: string,
  name: string,
  secrets: SecretSources,
): { options: EmailChannelOptions; inlinePassword: boolean } {
  const u = new URL(c.smtp);
  const secure = u.protocol === "smtps:";
  const urlUser = u.username ? decodeURIComponent(u.username) : undefined;
  const urlPass = u.password ? decodeURIComponent(u.password) : undefined;
  if (urlUser !== undefined && c.username !== undefined) {
    throw configError(`${where}: the user name is set twice (in smtp and in username); keep one`);
  }
  const filePass = resolveSecret({ inline: c.password, file: c.password_file, env: c.password_env }, where, "password", secrets);
  if (urlPass !== undefined && filePass !== undefined) {
    throw configError(`${where}: the password is set twice (in the smtp URL and in password*); keep password_file`);
  }
  const user = urlUser ?? c.username;
  const pass = filePass?.value ?? urlPass;
  if ((user === undefined) !== (pass === undefined)) {
    throw configError(
      user === undefined
        ? `${where}: a password is set but no user name (set username)`
        : `${where}: username is set but no password (set password_file or password_env)`,
    );
  }
  let ca: string | undefined;
  if (c.ca_file !== undefined) {
    try {
      ca = secrets.readFile(c.ca_file);
    } catch (err) {
      throw configError(`${where}.ca_file: cannot read ${c.ca_file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err);
    }
  }
  return {
    options: {
      name,
      host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      requireTls: c.require_tls,
      auth: user !== undefined && pass !== undefined ? { user, pass } : undefined,
      ca,
      from: c.from,
      to: c.to,
      timeoutMs: c.timeout,
    },
    inlinePassword: urlPass !== undefined || filePass?.source === "inline",
  };
}

/**
 * Unique channel names: an explicit `name` wins; the others get their type, then type-2,
 * type-3, ... in table order, skipping names already taken. Keys: "email:0", "matrix:1", ...
 */
export function assignNames(cfg: Pick<NotifyConfig, ChannelType>): Map<string, string> {
  const types: ChannelType[] = ["email", "matrix", "webhook", "exec"];
  const names = new Map<string, string>();
  const taken = new Map<string, string>(); // lower-case name -> where
  for (const t of types) {
    cfg[t].forEach((c, i) => {
      if (c.name === undefined) return;
      const where = `notify.${t}[${i}]`;
      const prev = taken.get(c.name.toLowerCase());
      if (prev) throw configError(`${where}.name: the channel name "${c.name}" is already used by ${prev}`);
      taken.set(c.name.toLowerCase(), where);
      names.set(`${t}:${i}`, c.name);
    });
  }
  for (const t of types) {
    let n = 1;
    cfg[t].forEach((c, i) => {
      if (c.name !== undefined) return;
      let candidate = n === 1 ? t : `${t}-${n}`;
      while (taken.has(candidate)) candidate = `${t}-${++n}`;
      n++;
      taken.set(candidate, `notify.${t}[${i}]`);
      names.set(`${t}:${i}`, candidate);
    });
  }
  return names;
}

function configError(message: string, cause?: unknown): NotifyError {
  return new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", message, false, undefined, cause === undefined ? undefined : { cause });
}
