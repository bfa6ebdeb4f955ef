// Pure planning of the base image's root filesystem: which host files to copy (at the same path),
// which symlinks to recreate so every path the host uses resolves the same way inside the image,
// and which small files to generate. No I/O here: the host file system comes in through FsView.

import { createHash } from "node:crypto";
import path from "node:path";

export type PathKind = "file" | "dir" | "symlink" | "missing";

export interface FileStat {
  size: number;
  mtimeMs: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
}

/** The file system questions planning needs answered; the host's or a fixture's. */
export interface FsView {
  kind(p: string): PathKind;
  readlink(p: string): string;
  stat(p: string): FileStat;
}

export interface ResolvedPath {
  /** The path with every symlink resolved (its components are real directories). */
  real: string;
  /** Every symlink met on the way, in order. */
  links: Array<{ path: string; target: string }>;
  /** True when a component did not exist (only with onMissing "allow"). */
  missing: boolean;
}

const MAX_LINKS = 40;

/**
 * Resolves `p` component by component, like the kernel does, recording each symlink. `..` after a
 * symlink is applied to the resolved directory, not lexically.
 */
export function resolveChain(p: string, fs: FsView, onMissing: "throw" | "allow" = "throw"): ResolvedPath {
  if (!p.startsWith("/")) throw new Error(`resolveChain: path must be absolute, got '${p}'`);
  const links: ResolvedPath["links"] = [];
  let rest = p.split("/").filter((c) => c !== "");
  let cur = "/";
  while (rest.length > 0) {
    const [comp, ...tail] = rest as [string, ...string[]];
    rest = tail;
    if (comp === ".") continue;
    if (comp === "..") {
      cur = path.posix.dirname(cur);
      continue;
    }
    const next = path.posix.join(cur, comp);
    const kind = fs.kind(next);
    if (kind === "symlink") {
      if (links.length >= MAX_LINKS) throw new Error(`resolveChain: too many symlinks resolving '${p}' (loop at '${next}')`);
      const target = fs.readlink(next);
      links.push({ path: next, target });
      if (target.startsWith("/")) cur = "/";
      rest = [...target.split("/").filter((c) => c !== ""), ...rest];
      continue;
    }
    if (kind === "missing") {
      if (onMissing === "throw") throw new Error(`resolveChain: '${next}' does not exist (resolving '${p}')`);
      return { real: path.posix.join(next, ...rest), links, missing: true };
    }
    if (kind === "file" && rest.length > 0) throw new Error(`resolveChain: '${next}' is not a directory (resolving '${p}')`);
    cur = next;
  }
  return { real: cur, links, missing: false };
}

/** Absolute library paths from `ldd` output; throws when a library is "not found". */
export function parseLdd(output: string, binary: string): string[] {
  const libs: string[] = [];
  for (const raw of output.split("\n")) {
    const line = raw.trim();
    if (line === "" || /statically linked|not a dynamic executable/.test(line)) continue;
    const arrow = line.indexOf("=>");
    if (arrow >= 0) {
      const right = line.slice(arrow + 2).trim();
      if (right.startsWith("not found")) {
        throw new Error(`ldd ${binary}: library '${line.slice(0, arrow).trim()}' not found`);
      }
      const target = right.replace(/\s*\(0x[0-9a-f]+\)$/i, "").trim();
      if (target.startsWith("/")) libs.push(target);
      continue;
    }
    // The interpreter line: "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no path.
    const only = line.replace(/\s*\(0x[0-9a-f]+\)$/i, "").trim();
    if (only.startsWith("/")) libs.push(only);
  }
  return libs;
}

export interface GeneratedFile {
  path: string;
  content: string;
  mode: number;
}

export interface RootfsInput {
  /** Host files to copy, each at the same path (symlinks on the way are recreated). */
  hostFiles: string[];
  /** Busybox (its host path) and the applets to link as /bin/<applet>; none: no links. */
  busybox?: { path: string; applets: string[] } | undefined;
  generated: GeneratedFile[];
  /** Directories with a mode other than 0755, e.g. /tmp 01777. */
  dirs: Array<{ path: string; mode: number }>;
}

export interface PlannedFile extends FileStat {
  path: string;
}

export interface RootfsPlan {
  /** Every directory of the image with its mode, parents first. */
  dirs: Array<{ path: string; mode: number }>;
  files: PlannedFile[];
  symlinks: Array<{ path: string; target: string }>;
  writes: GeneratedFile[];
}

const DIR_MODE = 0o755;

/** Decides the image content; throws when two host paths disagree about a symlink. */
export function planRootfs(input: RootfsInput, host: FsView): RootfsPlan {
  const files = new Map<string, PlannedFile>();
  const links = new Map<string, string>();
  const writes = new Map<string, GeneratedFile>();

  const addLink = (p: string, target: string): void => {
    const known = links.get(p);
    if (known !== undefined && known !== target) {
      throw new Error(`planRootfs: symlink '${p}' points to both '${known}' and '${target}'`);
    }
    links.set(p, target);
  };

  for (const hostFile of input.hostFiles) {
    const r = resolveChain(hostFile, host);
    for (const l of r.links) addLink(l.path, l.target);
    if (host.kind(r.real) !== "file") throw new Error(`planRootfs: '${hostFile}' resolves to '${r.real}', which is not a regular file`);
    files.set(r.real, { path: r.real, ...host.stat(r.real) });
  }

  // Paths created inside the image resolve through the image's own symlinks (e.g. /bin -> usr/bin).
  const imageView = (): FsView => {
    const parents = new Set<string>();
    for (const p of [...files.keys(), ...links.keys(), ...writes.keys()]) {
      for (let d = path.posix.dirname(p); d !== "/"; d = path.posix.dirname(d)) parents.add(d);
    }
    return {
      kind: (p) => (links.has(p) ? "symlink" : files.has(p) || writes.has(p) ? "file" : parents.has(p) ? "dir" : "missing"),
      readlink: (p) => links.get(p) ?? "",
      stat: () => ({ size: 0, mtimeMs: 0, mode: 0 }),
    };
  };

  for (const g of input.generated) {
    const r = resolveChain(g.path, imageView(), "allow");
    if (!files.has(r.real)) writes.set(r.real, { ...g, path: r.real });
  }

  if (input.busybox) {
    const view = imageView();
    for (const applet of input.busybox.applets) {
      if (!/^[A-Za-z0-9._+-]+$/.test(applet)) continue;
      const r = resolveChain(`/bin/${applet}`, view, "allow");
      if (!r.missing) continue; // the image has that path already (a copied tool, busybox itself)
      if (links.has(r.real) || files.has(r.real) || writes.has(r.real)) continue;
      addLink(r.real, input.busybox.path);
    }
  }

  const explicit = new Map<string, number>();
  for (const d of input.dirs) {
    const r = resolveChain(d.path, imageView(), "allow");
    explicit.set(r.real, d.mode);
  }

  const dirModes = new Map<string, number>();
  const addParents = (p: string): void => {
    for (let d = path.posix.dirname(p); d !== "/"; d = path.posix.dirname(d)) {
      if (!dirModes.has(d)) dirModes.set(d, explicit.get(d) ?? DIR_MODE);
    }
  };
  for (const p of [...files.keys(), ...links.keys(), ...writes.keys()]) addParents(p);
  for (const [d, mode] of explicit) {
    addParents(d);
    dirModes.set(d, mode);
  }

  const byPath = <T extends { path: string }>(a: T, b: T): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    dirs: [...dirModes].map(([p, mode]) => ({ path: p, mode })).sort(byPath),
    files: [...files.values()].sort(byPath),
    symlinks: [...links].map(([p, target]) => ({ path: p, target })).sort(byPath),
    writes: [...writes.values()].sort(byPath),
  };
}

/**
 * Short content key of a plan: changes when a copied file changes (size, mtime, mode), when a link
 * or a generated file changes, or when the recipe version changes.
 */
export function planHash(plan: RootfsPlan, recipeVersion: string): string {
  const h = createHash("sha256");
  h.update(`recipe ${recipeVersion}\n`);
  for (const d of plan.dirs) h.update(`D ${d.path} ${d.mode.toString(8)}\n`);
  for (const f of plan.files) h.update(`F ${f.path} ${f.size} ${Math.trunc(f.mtimeMs)} ${f.mode.toString(8)}\n`);
  for (const l of plan.symlinks) h.update(`L ${l.path} ${l.target}\n`);
  for (const w of plan.writes) {
    h.update(`W ${w.path} ${w.mode.toString(8)} ${createHash("sha256").update(w.content).digest("hex")}\n`);
  }
  return h.digest("hex").slice(0, 12);
}

/** Docker tag for a node version and plan hash, e.g. "20.20.2-1a2b3c4d5e6f". */
export function imageTag(nodeVersion: string, hash: string): string {
  return `${nodeVersion.replace(/^v/, "")}-${hash}`.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 128);
}
