// Command-line options of a benchmark: `--name value` for numbers and strings, `--flag` for
// booleans. The defaults object is the specification: an unknown option or a bad number fails
// with the option's name.

export type Defaults = Record<string, number | string | boolean>;

export function parseArgs<T extends Defaults>(argv: string[], defaults: T, usage: string): T {
  const out: Record<string, number | string | boolean> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      console.log(usage);
      process.exit(0);
    }
    const key = arg.replace(/^--/, "").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!arg.startsWith("--") || !(key in defaults)) throw new Error(`unknown option ${arg}\n${usage}`);
    const def = defaults[key];
    if (typeof def === "boolean") {
      out[key] = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`option ${arg} needs a value\n${usage}`);
    if (typeof def === "number") {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw new Error(`option ${arg}: "${value}" is not a non-negative number`);
      out[key] = n;
    } else {
      out[key] = value;
    }
  }
  return out as T;
}

/** "1,10,100" -> [1, 10, 100]; names the option on a bad element. */
export function numberList(value: string, option: string): number[] {
  const xs = value.split(",").map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isSafeInteger(x) || x <= 0)) {
    throw new Error(`option --${option}: "${value}" is not a comma-separated list of positive integers`);
  }
  return xs;
}
