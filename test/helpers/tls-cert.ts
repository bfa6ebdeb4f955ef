// A throw-away private CA and a server certificate for 127.0.0.1 / ::1 / localhost, made with the
// openssl CLI (Debian's openssl package) in a temporary folder. For TLS tests of real servers on
// loopback: give the server key + cert, give the client caFile / caPem.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificates {
  /** Folder holding ca.pem, server.pem and server-key.pem. */
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Removes the folder. */
  cleanup(): void;
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), "lastseen-tls-"));
  const p = (f: string): string => join(dir, f);
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  };
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
    "-subj", "/CN=lastseen test CA", "-keyout", p("ca-key.pem"), "-out", p("ca.pem"));
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-subj", "/CN=localhost", "-keyout", p("server-key.pem"), "-out", p("server.csr"));
  writeFileSync(p("ext.cnf"), "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca-key.pem"), "-CAcreateserial",
    "-days", "2", "-extfile", p("ext.cnf"), "-out", p("server.pem"));
  return {
    dir,
    caFile: p("ca.pem"),
    caPem: readFileSync(p("ca.pem"), "utf8"),
    certPem: readFileSync(p("server.pem"), "utf8"),
    keyPem: readFileSync(p("server-key.pem"), "utf8"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
