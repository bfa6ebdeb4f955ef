// `lastseen-agent scan [--json] [--root DIR] [--containers]`: one scan, printed. Restarts nothing.
// Exit code 0 when the scan ran, whatever it found; 1 when it could not run.
import { checkKernel } from "../probes/kernel/check.js";
import { ScanError } from "../probes/stale-libs/errors.js";
import { toScanJson } from "../probes/stale-libs/json.js";
import { scanStaleProcesses } from "../probes/stale-libs/scanner.js";
import { renderTable } from "../probes/stale-libs/table.js";

export interface ScanCommandOptions {
  json: boolean;
  root?: string;
  containers?: boolean;
  ignore?: string[];
}

export async function scanCommand(opts: ScanCommandOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const root = opts.root ?? "/";
  let text: string;
  try {
    const result = scanStaleProcesses({ root, containers: opts.containers === true, ignore: opts.ignore ?? [] });
    const kernel = checkKernel(root);
    text = opts.json ? `${JSON.stringify(toScanJson(result, kernel), null, 2)}\n` : renderTable(result, kernel, { containers: opts.containers === true });
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
    await write(err, `lastseen-agent scan: ${e.message} (${e.code})\n`);
    return 1;
  }
  await write(out, text);
  return 0;
}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (e?: Error | null) => (e ? reject(e) : resolve()));
  });
}
