// TLS terminated by the collector itself ([tls] cert_file / key_file), with a private CA made by
// openssl: an agent given --ca-file connects over wss://; without it, it refuses the certificate
// and says so; new certificate files plus SIGHUP are served to new connections without dropping
// the existing ones.
import { copyFileSync, writeFileSync } from "node:fs";
import { connect, type PeerCertificate } from "node:tls";
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCertificates, type TestCertificates } from "../../helpers/tls-cert.js";
import { addToken, COLLECTOR_CLI, run, startAgent, startCollector, tempDir, waitFor, type CollectorProc, type Proc } from "../../helpers/procs.js";
import { logLines, upgradeStatus } from "./raw-peer.js";

/** The certificate a TLS client sees on a new connection, or the verification error. */
function peerCertificate(port: number, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
      const cert = s.getPeerCertificate();
      s.end();
      resolve(cert);
    });
    s.on("error", reject);
  });
}
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe("TLS", () => {
  const dir = tempDir();
  const data = `${dir.path}/data`;
  const certFile = `${dir.path}/server.pem`;
  const keyFile = `${dir.path}/server-key.pem`;
  let first: TestCertificates;
  let second: TestCertificates;
  let collector: CollectorProc;
  const procs: Proc[] = [];

  beforeAll(async () => {
    first = makeTestCertificates();
    second = makeTestCertificates();
    copyFileSync(`${first.dir}/server.pem`, certFile);
    copyFileSync(`${first.dir}/server-key.pem`, keyFile);
    const config = `${dir.path}/collector.toml`;
    writeFileSync(config, `[tls]\ncert_file = "${certFile}"\nkey_file = "${keyFile}"\n`);
    collector = await startCollector(data, { args: ["--config", config] });
  });
  afterAll(async () => {
    for (const p of procs) await p.kill("SIGKILL");
    await collector?.kill();
    first?.cleanup();
    second?.cleanup();
    dir.remove();
  });

  it("the collector serves https and wss", async () => {
    expect(collector.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const cert = await peerCertificate(collector.port, first.caPem);
    expect(cert.fingerprint256).toBe(fingerprint(first.certPem));
  });

  it("an agent with --ca-file connects over wss://", async () => {
    const agent = startAgent(collector.url, addToken(data, "secure"), `${dir.path}/a1`, ["--ca-file", first.caFile]);
    procs.push(agent);
    expect(collector.url.replace(/^http/, "ws")).toMatch(/^wss:/);
    await waitFor("agent connected over TLS", () => agent.output().includes("connected to the collector"));
    await waitFor("secure is up", () => {
      // The CLI has no CA option of its own (yet): Node's NODE_EXTRA_CA_CERTS does it.
      const r = run(COLLECTOR_CLI, ["hosts", "--data", data, "--json"], { NODE_EXTRA_CA_CERTS: first.caFile });
      return (JSON.parse(r.stdout) as { name: string; state: string }[]).find((h) => h.name === "secure" && h.state === "up");
    });
  });

  it("an agent without the CA file refuses the certificate and says so in its log", async () => {
    const agent = startAgent(collector.url, addToken(data, "untrusting"), `${dir.path}/a2`);
    procs.push(agent);
    const line = await waitFor("a certificate error", () => logLines(agent.output()).find((l) => /certificate/i.test(l.msg)));
    expect(line.msg).toContain(collector.url.replace(/^http/, "ws"));
    expect(agent.output()).not.toContain("connected to the collector");
    // It keeps trying (with backoff) rather than exiting.
    expect(agent.child.exitCode).toBeNull();
  });

  it("new certificate files and SIGHUP: new connections see the new certificate, existing ones stay", async () => {
    const before = procs[0]!;
    copyFileSync(`${second.dir}/server.pem`, certFile);
    copyFileSync(`${second.dir}/server-key.pem`, keyFile);
    // Not re-read before the signal.
    expect((await peerCertificate(collector.port, first.caPem)).fingerprint256).toBe(fingerprint(first.certPem));
    collector.child.kill("SIGHUP");
    await waitFor("reload logged", () => collector.output().includes("TLS certificate reloaded"));
    const cert = await peerCertificate(collector.port, second.caPem);
    expect(cert.fingerprint256).toBe(fingerprint(second.certPem));
    await expect(peerCertificate(collector.port, first.caPem)).rejects.toThrow(/certificate/i);
    // A wss upgrade verified against the new CA works.
    expect(await upgradeStatus(collector.url, "Bearer lsa_nobody", { ca: second.caPem })).toBe(401);
    // The agent connected before the reload was not disconnected.
    expect(before.output()).not.toContain("disconnected from the collector");
    // An agent with the new CA connects.
    const fresh = startAgent(collector.url, addToken(data, "renewed"), `${dir.path}/a3`, ["--ca-file", second.caFile]);
    procs.push(fresh);
    await waitFor("agent with the new CA connected", () => fresh.output().includes("connected to the collector"));
  });

  it("a reload with a broken key keeps the previous certificate and says why", async () => {
    writeFileSync(keyFile, "not a key\n");
    collector.child.kill("SIGHUP");
    await waitFor("reload failure logged", () => collector.output().includes("TLS reload failed"));
    expect((await peerCertificate(collector.port, second.caPem)).fingerprint256).toBe(fingerprint(second.certPem));
    expect(collector.child.exitCode).toBeNull();
  });

  it("a missing certificate file stops `serve` at start with the file named", () => {
    const config = `${dir.path}/broken.toml`;
    writeFileSync(config, `listen = "127.0.0.1:0"\n[tls]\ncert_file = "${dir.path}/nope.pem"\nkey_file = "${keyFile}"\n`);
    const r = run(COLLECTOR_CLI, ["serve", "--config", config, "--data", `${dir.path}/data-broken`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${dir.path}/nope.pem`);
    expect(r.stderr).toContain("LASTSEEN_ERR_TLS");
  });
});
