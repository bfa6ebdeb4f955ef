// The SMTP server of the container suite, itself in a container: smtp-server (plain SMTP, no
// STARTTLS) on port 2525 and, on port 8025, a small HTTP endpoint that lists every mail received
// so far as JSON (parsed with mailparser). The test reads it from the host through the mapped port.
// The arrival time is taken inside the container when the DATA of the mail ended; containers share
// the host's clock, so it compares with Date.now() in the test.

import { Wait } from "testcontainers";
import type { StartedTestContainer } from "testcontainers";
import type { Lab } from "../../helpers/docker.js";

export const SMTP_PORT = 2525;
export const MAILBOX_HTTP_PORT = 8025;

/** CommonJS, run with `node -e` in /app (where node_modules holds smtp-server and mailparser). */
const MAILBOX_SERVER = `
const http = require("node:http");
const { SMTPServer } = require("smtp-server");
const { simpleParser } = require("mailparser");
const mails = [];
const smtp = new SMTPServer({
  disabledCommands: ["STARTTLS"], authOptional: true, disableReverseLookup: true, logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on("data", (c) => chunks.push(c));
    stream.on("end", () => {
      const receivedAtMs = Date.now();
      simpleParser(Buffer.concat(chunks)).then((m) => {
        const h = (k) => { const v = m.headers.get(k); return v === undefined ? null : String(v); };
        mails.push({
          seq: mails.length + 1, receivedAtMs, subject: m.subject || "", messageId: m.messageId || null,
          inReplyTo: m.inReplyTo || null, references: m.references === undefined ? [] : [].concat(m.references),
          kind: h("x-lastseen-kind"), rule: h("x-lastseen-rule"), host: h("x-lastseen-host"),
          envelopeTo: session.envelope.rcptTo.map((r) => r.address), text: m.text || "",
        });
        callback();
      }, (err) => callback(err));
    });
  },
});
smtp.on("error", (err) => console.error("smtp error", err.message));
http.createServer((req, res) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(mails));
}).listen(${MAILBOX_HTTP_PORT}, () => smtp.listen(${SMTP_PORT}, () => console.log("mailbox listening")));
`;

export interface Mail {
  seq: number;
  /** Date.now() inside the SMTP container when the message's DATA ended. */
  receivedAtMs: number;
  subject: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** X-Lastseen-Kind: firing, resolved, reminder, summary, notice, test. */
  kind: string | null;
  /** X-Lastseen-Rule, e.g. host.silent. */
  rule: string | null;
  /** X-Lastseen-Host. */
  host: string | null;
  envelopeTo: string[];
  text: string;
}

export class Mailbox {
  private constructor(readonly container: StartedTestContainer) {}

  /** Starts the SMTP container as `name` on the lab network (peers send to smtp://NAME:2525). */
  static async start(lab: Lab, name = "smtp"): Promise<Mailbox> {
    const container = await lab.container({
      name,
      command: ["node", "-e", MAILBOX_SERVER],
      exposedPorts: [MAILBOX_HTTP_PORT],
      wait: Wait.forLogMessage("mailbox listening"),
    });
    return new Mailbox(container);
  }

  /** Every mail received so far, oldest first. */
  async all(): Promise<Mail[]> {
    const url = `http://${this.container.getHost()}:${this.container.getMappedPort(MAILBOX_HTTP_PORT)}/mails`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`mailbox ${url} answered ${res.status}`);
    return (await res.json()) as Mail[];
  }

  /** Mails about one host and rule (host.silent by default). */
  async about(host: string, rule = "host.silent"): Promise<Mail[]> {
    return (await this.all()).filter((m) => m.host === host && m.rule === rule);
  }
}
