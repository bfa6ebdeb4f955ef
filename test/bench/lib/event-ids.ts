// Event ids as the agent makes them (random UUIDs), and a time-ordered alternative (the UUIDv7
// layout: 48-bit millisecond timestamp first) to measure what id order costs the collector's
// UNIQUE (host_id, event_id) index.
import { randomBytes, randomUUID } from "node:crypto";

export type IdStyle = "random" | "time-ordered";

let lastMs = 0;
let counter = 0;

/** UUIDv7 layout; a 12-bit counter keeps ids made within one millisecond in order. */
export function timeOrderedId(now = Date.now()): string {
  if (now === lastMs) counter = (counter + 1) & 0xfff;
  else {
    lastMs = now;
    counter = 0;
  }
  const ts = now.toString(16).padStart(12, "0");
  const rand = randomBytes(8);
  rand[0] = (rand[0]! & 0x3f) | 0x80; // RFC 9562 variant
  const r = rand.toString("hex");
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${counter.toString(16).padStart(3, "0")}-${r.slice(0, 4)}-${r.slice(4, 16)}`;
}

export function eventIdMaker(style: IdStyle): () => string {
  return style === "random" ? randomUUID : () => timeOrderedId();
}
