// A strict reader of the Prometheus text exposition format (version 0.0.4), checking what
// promtool's `check metrics` and the scraper's parser insist on: every line is a HELP, TYPE,
// comment, blank or sample line; names and labels are well-formed; label values use only the
// three escapes; TYPE comes once, before the family's samples, whose lines are contiguous; no
// series repeats; counters are not negative; histogram buckets carry le, end with +Inf and grow.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  name: string;
  type: string;
  help: string;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES: Record<string, string[]> = { histogram: ["_bucket", "_sum", "_count"], summary: ["", "_sum", "_count"] };

/** As Prometheus reads values (Go's strconv.ParseFloat): NaN and Inf in any case (prom-client writes "Nan"). */
function parseValue(v: string, where: string): number {
  if (/^nan$/i.test(v)) return NaN;
  if (/^\+?inf(inity)?$/i.test(v)) return Infinity;
  if (/^-inf(inity)?$/i.test(v)) return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) throw new Error(`${where}: "${v}" is not a sample value`);
  return Number(v);
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without "=" in {${text}}`);
    const name = text.slice(i, eq).trim();
    if (!LABEL.test(name) || name.startsWith("__")) throw new Error(`${where}: bad label name "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label ${name} value is not quoted`);
    let j = eq + 2;
    let value = "";
    for (;;) {
      if (j >= text.length) throw new Error(`${where}: unterminated value of label ${name}`);
      const c = text[j]!;
      if (c === "\\") {
        const n = text[j + 1];
        if (n === "\\") value += "\\";
        else if (n === '"') value += '"';
        else if (n === "n") value += "\n";
        else throw new Error(`${where}: bad escape \\${n} in label ${name}`);
        j += 2;
        continue;
      }
      if (c === '"') break;
      if (c === "\n") throw new Error(`${where}: raw newline in label ${name}`);
      value += c;
      j++;
    }
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (i < text.length) throw new Error(`${where}: expected "," after label ${name}`);
  }
  return labels;
}

export function parsePromText(text: string): Map<string, PromFamily> {
  if (!text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const families = new Map<string, PromFamily>();
  const series = new Set<string>();
  const closed = new Set<string>();
  let current: PromFamily | null = null;
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, idx) => {
    const where = `line ${idx + 1}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ""] = m as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
      let fam = families.get(name);
      if (!fam) {
        fam = { name, type: "untyped", help: "", samples: [] };
        families.set(name, fam);
      } else if (fam.samples.length > 0) {
        throw new Error(`${where}: ${kind} for ${name} after its samples`);
      }
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type "${rest}"`);
        if (fam.type !== "untyped") throw new Error(`${where}: second TYPE for ${name}`);
        fam.type = rest;
      } else {
        if (fam.help) throw new Error(`${where}: second HELP for ${name}`);
        fam.help = rest;
      }
      if (current && current.name !== name) closed.add(current.name);
      current = fam;
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample line: ${line}`);
    const [, name, labelText = "", valueText] = m as unknown as [string, string, string | undefined, string];
    const labels = parseLabels(labelText, where);
    const value = parseValue(valueText, where);
    const fam = [...families.values()].find((f) => f.name === name || (SUFFIXES[f.type] ?? []).some((s) => s && name === f.name + s)) ?? null;
    if (!fam) throw new Error(`${where}: sample ${name} has no TYPE/HELP`);
    if (closed.has(fam.name)) throw new Error(`${where}: samples of ${fam.name} are not contiguous`);
    if (current && current.name !== fam.name) closed.add(current.name);
    current = fam;
    const key = `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(",")}}`;
    if (series.has(key)) throw new Error(`${where}: duplicate series ${key}`);
    series.add(key);
    if (fam.type === "counter" && !(value >= 0)) throw new Error(`${where}: counter ${name} is ${value}`);
    fam.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    if (f.type !== "histogram") continue;
    const groups = new Map<string, PromSample[]>();
    for (const s of f.samples.filter((x) => x.name.endsWith("_bucket"))) {
      if (!("le" in s.labels)) throw new Error(`${f.name}: bucket without le`);
      const { le: _le, ...rest } = s.labels;
      const k = JSON.stringify(rest);
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const [k, bs] of groups) {
      if (bs[bs.length - 1]!.labels.le !== "+Inf") throw new Error(`${f.name}${k}: last bucket is not +Inf`);
      for (let i = 1; i < bs.length; i++) if (bs[i]!.value < bs[i - 1]!.value) throw new Error(`${f.name}${k}: buckets decrease`);
    }
  }
  return families;
}

/** The value of one series, or undefined. */
export function sampleValue(f: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const fam of f.values()) {
    for (const s of fam.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(labels);
      if (keys.length === Object.keys(s.labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}
