// Email channel over SMTP with nodemailer. smtps:// is implicit TLS; smtp:// upgrades with
// STARTTLS when the server offers it (and must, with requireTls). A DOWN and its UP are threaded:
// the firing mail's Message-ID is stable per incident (<incident-ID@from-domain>), the resolved
// mail and reminders carry In-Reply-To and References to it. Every other mail's Message-ID is
// stable per flip, so a retried mail keeps its id and mail clients drop the duplicate.
//
// nodemailer is an optional dependency (an agent-only install does not need it): it is loaded on
// first use, and a missing package is a clear configuration error.
import { createHash } from "node:crypto";
import type * as Nodemailer from "nodemailer";
import type { SendMailOptions, SMTPSentMessageInfo, Transporter, NodemailerError } from "nodemailer";
import { NotifyError } from "./notifier.js";
import type { Alert, DeliveryReceipt, Notifier } from "./notifier.js";

export interface EmailChannelOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (smtps://). */
  readonly secure: boolean;
  /** smtp:// only: fail unless the server offers STARTTLS. */
  readonly requireTls: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** PEM of a private CA that signed the server's certificate. */
  readonly ca?: string;
  /** From header: "lastseen@example.org" or "lastseen <lastseen@example.org>". */
  readonly from: string;
  readonly to: readonly string[];
  /** Connection / greeting / idle-socket timeout. */
  readonly timeoutMs: number;
}

export interface EmailThreadHeaders {
  readonly messageId: string;
  readonly inReplyTo?: string;
  readonly references?: string;
}

/** The domain of the address in a From value ("Name <a@b.example>" -> "b.example"). */
export function addressDomain(from: string): string | undefined {
  const m = /@([^@<>\s]+?)>?\s*$/.exec(from.trim());
  return m?.[1]?.toLowerCase();
}

/** Message-ID, In-Reply-To and References for an alert, from its incident and flip ids. */
export function emailThreadHeaders(alert: Alert, domain: string): EmailThreadHeaders {
  const incident = `<incident-${idToken(alert.incidentId)}@${domain}>`;
  const own = `<flip-${idToken(alert.flipId)}@${domain}>`;
  switch (alert.kind) {
    case "firing":
      return { messageId: incident };
    case "resolved":
    case "reminder":
      return { messageId: own, inReplyTo: incident, references: incident };
    case "summary":
    case "notice":
    case "test":
      return { messageId: own };
  }
}

/** An id as is when it is safe inside a msg-id (RFC 5322 dot-atom), else a hash of it. */
function idToken(id: string): string {
  if (/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/.test(id) && id.length <= 64) return id;
  return createHash("sha256").update(id).digest("hex").slice(0, 32);
}

type SmtpTransporter = Transporter<SMTPSentMessageInfo>;

/**
 * SMTP connections kept open and reused by one email channel. Measured with 1,000 hosts going
 * silent at once (test/bench/alert-latency.ts): 5 (nodemailer's default) queued the mails behind
 * too few connections; 20 got every DOWN out within about 2 s of its deadline. The dispatcher
 * runs at most 32 deliveries at once; without a pool each was a connection of its own.
 */
const POOL_CONNECTIONS = 20;

export class EmailNotifier implements Notifier {
  readonly type = "email" as const;
  readonly name: string;
  private readonly domain: string;
  private transporter: Promise<SmtpTransporter> | undefined;

  constructor(private readonly opts: EmailChannelOptions) {
    this.name = opts.name;
    const domain = addressDomain(opts.from);
    if (!domain) {
      throw new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `${this.label()}: "from" (${opts.from}) has no address with a domain`, false);
    }
    this.domain = domain;
  }

  /** Connects, upgrades to TLS and logs in once, so a wrong password shows at start. */
  async init(): Promise<void> {
    const t = await this.transport();
    try {
      await t.verify();
    } catch (err) {
      throw this.mapError(err, "checking the SMTP server");
    }
  }

  async send(alert: Alert, _attempt: number): Promise<DeliveryReceipt> {
    const t = await this.transport();
    const thread = emailThreadHeaders(alert, this.domain);
    const mail: SendMailOptions = {
      from: this.opts.from,
      to: [...this.opts.to],
      subject: alert.subject,
      text: alert.text,
      html: alert.html,
      messageId: thread.messageId,
      inReplyTo: thread.inReplyTo,
      references: thread.references,
      headers: {
        "Auto-Submitted": "auto-generated",
        "X-Lastseen-Kind": alert.kind,
        "X-Lastseen-Rule": alert.rule,
        "X-Lastseen-Flip-Id": alert.flipId,
        ...(alert.host ? { "X-Lastseen-Host": alert.host } : {}),
      },
    };
    let info: SMTPSentMessageInfo;
    try {
      info = await t.sendMail(mail);
    } catch (err) {
      throw this.mapError(err, "sending");
    }
    if (info.rejected.length > 0 && info.accepted.length === 0) {
      throw new NotifyError("LASTSEEN_ERR_NOTIFY_REJECTED", `${this.label()}: ${this.server()} rejected every recipient (${info.rejected.join(", ")})`, false);
    }
    return { id: info.messageId };
  }

  async close(): Promise<void> {
    const t = this.transporter;
    this.transporter = undefined;
    if (t) (await t).close();
  }

  private transport(): Promise<SmtpTransporter> {
    this.transporter ??= this.createTransport().catch((err: unknown) => {
      this.transporter = undefined;
      throw err;
    });
    return this.transporter;
  }

  private async createTransport(): Promise<SmtpTransporter> {
    let nodemailer: typeof Nodemailer;
    try {
      nodemailer = await import("nodemailer");
    } catch (err) {
      throw new NotifyError(
        "LASTSEEN_ERR_NOTIFY_CONFIG",
        `${this.label()}: the optional package nodemailer is not installed (npm install nodemailer): ${(err as Error).message}`,
        false,
        undefined,
        { cause: err },
      );
    }
    const o = this.opts;
    return nodemailer.default.createTransport({
      // Connections reused: a new one (TCP, greeting, EHLO, STARTTLS, login) per mail cost more
      // CPU than the mail itself when many hosts went silent at once (docs/alerting.md).
      pool: true,
      maxConnections: POOL_CONNECTIONS,
      host: o.host,
      port: o.port,
      secure: o.secure,
      requireTLS: o.requireTls,
      auth: o.auth ? { user: o.auth.user, pass: o.auth.pass } : undefined,
      tls: o.ca ? { ca: o.ca } : undefined,
      connectionTimeout: o.timeoutMs,
      greetingTimeout: o.timeoutMs,
      socketTimeout: o.timeoutMs,
      logger: false,
      debug: false,
    });
  }

  /** Classifies a nodemailer error; the message never holds the password. */
  private mapError(err: unknown, doing: string): NotifyError {
    const e = err as NodemailerError;
    let text = e?.message ?? String(err);
    if (this.opts.auth?.pass) text = text.split(this.opts.auth.pass).join("***");
    const msg = `${this.label()}: ${doing} via ${this.server()} failed: ${text}${e?.code ? ` (${e.code})` : ""}`;
    const opts = { cause: err };
    if (e?.code === "EAUTH" || e?.code === "ENOAUTH") {
      return new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `${msg}; check the user name and password_file / password_env`, false, undefined, opts);
    }
    if (e?.code === "ETLS" || e?.code === "EREQUIRETLS" || isCertificateError(e?.originalCode ?? e?.code)) {
      return new NotifyError("LASTSEEN_ERR_NOTIFY_CONFIG", `${msg}; check the smtp URL scheme, require_tls and ca_file`, false, undefined, opts);
    }
    if (e?.responseCode !== undefined && e.permanent === true) {
      return new NotifyError("LASTSEEN_ERR_NOTIFY_REJECTED", msg, false, undefined, opts);
    }
    return new NotifyError("LASTSEEN_ERR_NOTIFY_TRANSIENT", msg, true, undefined, opts);
  }

  private server(): string {
    return `${this.opts.secure ? "smtps" : "smtp"}://${this.opts.host}:${this.opts.port}`;
  }

  private label(): string {
    return `email channel "${this.name}"`;
  }
}

/** Node's codes for a certificate the client does not trust (wrong CA, name, expired, ...). */
function isCertificateError(code: string | undefined): boolean {
  return code !== undefined && (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)_|ISSUER/.test(code) || code === "ERR_TLS_CERT_ALTNAME_INVALID");
}
