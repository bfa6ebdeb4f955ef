// Field checks for decoded messages. Every value from the network passes through one of these
// before it is used; a failure names the field.
import { ProtocolError } from "./errors.js";

export function str(value: unknown, field: string, max: number, opts: { required?: boolean; re?: RegExp } = {}): string {
  const s = typeof value === "string" ? value : "";
  if (opts.required && s.length === 0) throw invalid(field, "is required");
  if (s.length > max) throw invalid(field, `is ${s.length} characters long, limit ${max}`);
  if (s.length > 0 && opts.re && !opts.re.test(s)) throw invalid(field, `has an invalid value ${JSON.stringify(s.slice(0, 64))}`);
  return s;
}

export function uint(value: unknown, field: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = value == null ? 0 : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) throw invalid(field, "must be a non-negative integer");
  if (n > max) throw invalid(field, `is ${n}, limit ${max}`);
  return n;
}

export function int(value: unknown, field: string): number {
  const n = value == null ? 0 : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw invalid(field, "must be an integer");
  return n;
}

export function list<T>(value: unknown, field: string, max: number, each: (item: unknown, field: string) => T): T[] {
  const arr = Array.isArray(value) ? value : [];
  if (arr.length > max) throw invalid(field, `has ${arr.length} entries, limit ${max}`);
  return arr.map((item, i) => each(item, `${field}[${i}]`));
}

export function obj(value: unknown): Record<string, unknown> {
  return (value ?? {}) as Record<string, unknown>;
}

export function invalid(field: string, message: string): ProtocolError {
  return new ProtocolError("LASTSEEN_ERR_FRAME_INVALID", message, field);
}
