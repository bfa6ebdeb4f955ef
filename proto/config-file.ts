// Writes a generated config file (`lastseen init collector`, `lastseen-agent init`): never over an
// existing file unless forced (then atomically, by rename), parent directories created, mode 0644
// (the file holds no secrets: those go in *_file keys). A configuration convention both programs
// share, like proto/config-source.ts.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { CodedError } from "./errors.js";

export type InitErrorCode = "LASTSEEN_ERR_INIT_EXISTS" | "LASTSEEN_ERR_INIT_WRITE";

export class InitError extends CodedError<InitErrorCode> {
  override readonly name = "InitError";
}

export function writeConfigFile(path: string, content: string, force: boolean): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    if (force) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, content, { mode: 0o644 });
      chmodSync(tmp, 0o644);
      renameSync(tmp, path);
    } else {
      writeFileSync(path, content, { mode: 0o644, flag: "wx" });
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new InitError("LASTSEEN_ERR_INIT_EXISTS", `${path} already exists; not overwritten (add --force to replace it, or --path to write elsewhere)`, { cause: err });
    throw new InitError("LASTSEEN_ERR_INIT_WRITE", `cannot write ${path}: ${code ?? (err as Error).message}`, { cause: err });
  }
}
