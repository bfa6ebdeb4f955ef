// `lastseen ip NAME`: prints just the address, so `ssh $(lastseen ip home)` works.
import type { IpHistoryEntry, IpView } from "../queries/index.js";
import { ApiClient, type ClientOptions } from "./api-client.js";
import { table } from "./table.js";

export interface IpFlags extends ClientOptions {
  json?: boolean;
  history?: boolean;
  four?: boolean;
  six?: boolean;
}

export async function ipCommand(name: string, o: IpFlags, out: NodeJS.WritableStream): Promise<number> {
  const client = ApiClient.resolve(o);
  const family = o.four ? "?family=4" : o.six ? "?family=6" : "";
  const host = encodeURIComponent(name);
  if (o.history) {
    const hist = await client.get<IpHistoryEntry[]>(`/v1/hosts/${host}/ip/history${family}`);
    if (o.json) out.write(JSON.stringify(hist, null, 2) + "\n");
    else out.write(table(["ADDRESS", "FAMILY", "FIRST SEEN", "LAST SEEN", "SOURCES"], hist.map((a) => [a.address, `IPv${a.family}`, a.firstSeen, a.lastSeen, a.sources.join(",")])));
    return 0;
  }
  const ip = await client.get<IpView>(`/v1/hosts/${host}/ip${family}`);
  out.write(o.json ? JSON.stringify(ip) + "\n" : ip.address + "\n");
  return 0;
}
