// A real SMTP server (smtp-server) on 127.0.0.1 with a free port that keeps every message it
// receives, parsed with mailparser. TLS modes: none (STARTTLS not offered), starttls, implicit
// (smtps). Optional required login. Failures can be queued to test how a client classifies them.
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import type { ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import type { SMTPServerDataStream, SMTPServerSession } from "smtp-server";

export interface SmtpSinkOptions {
  /** "none" (default): plain SMTP without STARTTLS; "starttls"; "implicit" (smtps). */
  readonly tls?: "none" | "starttls" | "implicit";
  /** Key and certificate for the TLS modes (see tls-cert.ts). */
  readonly key?: string;
  readonly cert?: string;
  /** When set, clients must log in with exactly these credentials. */
  readonly auth?: { readonly user: string; readonly pass: string };
}

export interface ReceivedMail {
  readonly parsed: ParsedMail;
  readonly raw: Buffer;
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The session was TLS (implicit or after STARTTLS). */
  readonly secure: boolean;
  /** The user name the client logged in with. */
  readonly user: string | undefined;
}

/** A queued reply for the next DATA (or RCPT TO) command instead of accepting it. */
export interface SmtpFailure {
  readonly code: number;
  readonly message: string;
  readonly at?: "data" | "rcpt";
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** smtp://127.0.0.1:PORT or smtps://... for the implicit mode; no credentials. */
  readonly url: string;
  readonly mails: ReceivedMail[];
  /** Login attempts, successful or not. */
  readonly authAttempts: { user: string; ok: boolean }[];
  /** Resolves when at least `n` mails have arrived (rejects after timeoutMs). */
  waitForMails(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** The next command of that kind is answered with `code message`. */
  failNext(failure: SmtpFailure): void;
  close(): Promise<void>;
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mode = opts.tls ?? "none";
  if (mode !== "none" && (!opts.key || !opts.cert)) throw new Error(`smtp-sink: tls "${mode}" needs key and cert`);
  const mails: ReceivedMail[] = [];
  const authAttempts: { user: string; ok: boolean }[] = [];
  const failures: SmtpFailure[] = [];
  const waiters: (() => void)[] = [];

  const takeFailure = (at: "data" | "rcpt"): Error | undefined => {
    const i = failures.findIndex((f) => (f.at ?? "data") === at);
    if (i < 0) return undefined;
    const [f] = failures.splice(i, 1);
    return Object.assign(new Error(f!.message), { responseCode: f!.code });
  };

  const server = new SMTPServer({
    secure: mode === "implicit",
    key: opts.key,
    cert: opts.cert,
    disabledCommands: mode === "none" ? ["STARTTLS"] : [],
    authOptional: !opts.auth,
    allowInsecureAuth: mode === "none",
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      const ok = !!opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass;
      authAttempts.push({ user: auth.username ?? "", ok });
      if (!ok) return callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
      callback(null, { user: auth.username });
    },
    onRcptTo(_address, _session, callback) {
      callback(takeFailure("rcpt"));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const failure = takeFailure("data");
        if (failure) return callback(failure);
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              parsed,
              raw,
              envelope: {
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
                to: session.envelope.rcptTo.map((r) => r.address),
              },
              secure: session.secure,
              user: typeof session.user === "string" ? session.user : undefined,
            });
            for (const w of waiters.splice(0)) w();
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: "127.0.0.1",
    port,
    url: `${mode === "implicit" ? "smtps" : "smtp"}://127.0.0.1:${port}`,
    mails,
    authAttempts,
    failNext(failure) {
      failures.push(failure);
    },
    async waitForMails(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (mails.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`smtp-sink: expected ${n} mails, got ${mails.length} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return mails.slice(0, n);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
