// The base image of the container suite, built locally without a registry (docs/testing.md):
// the host's node binary and every library ldd lists, at their host paths, plus busybox (or the
// host's sh, cp, mv, sleep, kill, cat...), a minimal /etc and /tmp. `tar | docker import`.
// Built once per machine and content key; later calls only check that the tag exists.

import { execFile, spawn } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { E2eError } from "./errors.js";
import { withFileLock } from "./lock.js";
import { projectRoot } from "./project-root.js";
import { imageTag, parseLdd, planHash, planRootfs } from "./rootfs.js";
import type { FsView, GeneratedFile, RootfsPlan } from "./rootfs.js";
import { dockerStatus, dockerode } from "./runtime.js";

const run = promisify(execFile);

export const BASE_IMAGE_REPO = "lastseen-node";
/** Bump when the recipe changes in a way the plan hash does not see (image config, tar flags). */
const RECIPE_VERSION = "1";
const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** What the scenarios run inside containers besides node (stale-library swap, job wrappers). */
export const REQUIRED_TOOLS = ["sh", "cp", "mv", "sleep", "kill", "cat"] as const;
/** Copied too when busybox is missing and the host has them (port checks, debugging). */
const OPTIONAL_TOOLS = ["ls", "rm", "mkdir", "ln", "grep", "awk", "ps", "env", "hostname", "touch", "chmod"] as const;

export interface BaseImageOptions {
  /** "auto": busybox when the host has it, else the host's own tools. */
  tools?: "auto" | "busybox" | "host";
  /** Progress lines; default console.info. */
  log?: (line: string) => void;
}

const hostFs: FsView = {
  kind(p) {
    try {
      const st = lstatSync(p);
      return st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : "file";
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
      throw err;
    }
  },
  readlink: (p) => readlinkSync(p),
  stat(p) {
    const st = statSync(p);
    return { size: st.size, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777 };
  },
};

async function ldd(binary: string): Promise<string[]> {
  try {
    const { stdout } = await run("ldd", [binary], { encoding: "utf8" });
    return parseLdd(stdout, binary);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: unknown };
    // ldd exits 1 for static binaries ("not a dynamic executable").
    if (/not a dynamic executable|statically linked/.test(`${e.stdout ?? ""}${e.stderr ?? ""}`)) return [];
    throw new E2eError("LASTSEEN_ERR_E2E_IMAGE_BUILD", `ldd ${binary} failed: ${(err as Error).message}`, { cause: err });
  }
}

function findOnHost(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"];
  // Prefer /bin/<name> so the image has the conventional path (/bin/sh) even on merged-/usr hosts.
  for (const dir of ["/bin", ...dirs]) {
    if (!dir.startsWith("/")) continue;
    const p = path.posix.join(dir, name);
    if (hostFs.kind(p) !== "missing" && existsSync(p)) return p;
  }
  return undefined;
}

/** Libraries of native addons in the project (better-sqlite3): they must load inside the image. */
function nativeAddons(root: string): string[] {
  const modules = path.join(root, "node_modules");
  if (!existsSync(modules)) return [];
  const found: string[] = [];
  for (const pkg of readdirSync(modules)) {
    const release = path.join(modules, pkg, "build", "Release");
    if (!existsSync(release)) continue;
    for (const f of readdirSync(release)) if (f.endsWith(".node")) found.push(path.join(release, f));
  }
  return found;
}

export interface BaseImageRecipe {
  name: string;
  plan: RootfsPlan;
  tools: string;
}

function generatedFiles(): GeneratedFile[] {
  return [
    { path: "/etc/passwd", mode: 0o644, content: "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" },
    { path: "/etc/group", mode: 0o644, content: "root:x:0:\nnogroup:x:65534:\n" },
    { path: "/etc/nsswitch.conf", mode: 0o644, content: "passwd: files\ngroup: files\nhosts: files dns\n" },
  ];
}

const recipes = new Map<string, Promise<BaseImageRecipe>>();

/**
 * Gathers what the image needs from the host (ldd, busybox) and names the image by its content.
 * Once per process and tools choice: the host does not change during a test run.
 */
export function baseImageRecipe(opts: BaseImageOptions = {}): Promise<BaseImageRecipe> {
  const key = opts.tools ?? "auto";
  let recipe = recipes.get(key);
  if (!recipe) {
    recipe = gatherRecipe(opts);
    recipes.set(key, recipe);
    recipe.catch(() => recipes.delete(key)); // not memoized when it failed: the next call retries
  }
  return recipe;
}

async function gatherRecipe(opts: BaseImageOptions): Promise<BaseImageRecipe> {
  const node = process.execPath;
  const hostFiles = new Set<string>([node]);
  const elfs = [node, ...nativeAddons(projectRoot())];
  for (const libs of await Promise.all(elfs.map(ldd))) for (const lib of libs) hostFiles.add(lib);

  const wanted = opts.tools ?? "auto";
  const busyboxPath = wanted === "host" ? undefined : findOnHost("busybox");
  if (wanted === "busybox" && !busyboxPath) {
    throw new E2eError("LASTSEEN_ERR_E2E_IMAGE_BUILD", "tools 'busybox' requested but no busybox on this host (apt-get install busybox-static)");
  }
  let busybox: { path: string; applets: string[] } | undefined;
  if (busyboxPath) {
    const { stdout } = await run(busyboxPath, ["--list"], { encoding: "utf8" });
    busybox = { path: busyboxPath, applets: stdout.split("\n").map((s) => s.trim()).filter((s) => s !== "") };
    hostFiles.add(busyboxPath);
    for (const lib of await ldd(busyboxPath)) hostFiles.add(lib);
  } else {
    const missing = REQUIRED_TOOLS.filter((tool) => findOnHost(tool) === undefined);
    const tools = [...REQUIRED_TOOLS, ...OPTIONAL_TOOLS].flatMap((tool) => findOnHost(tool) ?? []);
    for (const t of tools) hostFiles.add(t);
    for (const libs of await Promise.all(tools.map(ldd))) for (const lib of libs) hostFiles.add(lib);
    if (missing.length > 0) {
      throw new E2eError("LASTSEEN_ERR_E2E_IMAGE_BUILD", `the host has no ${missing.join(", ")} (needed inside the base image) and no busybox`);
    }
  }
  const certs = "/etc/ssl/certs/ca-certificates.crt";
  if (existsSync(certs)) hostFiles.add(certs);

  let plan: RootfsPlan;
  try {
    plan = planRootfs(
      {
        hostFiles: [...hostFiles],
        busybox,
        generated: generatedFiles(),
        dirs: [
          { path: "/tmp", mode: 0o1777 },
          { path: "/root", mode: 0o700 },
          { path: "/app", mode: 0o755 },
        ],
      },
      hostFs,
    );
  } catch (err) {
    throw new E2eError("LASTSEEN_ERR_E2E_IMAGE_BUILD", `cannot plan the base image: ${(err as Error).message}`, { cause: err });
  }
  const tag = imageTag(process.versions.node, planHash(plan, RECIPE_VERSION));
  return { name: `${BASE_IMAGE_REPO}:${tag}`, plan, tools: busybox ? `busybox (${busybox.path})` : "host tools" };
}

/** Writes the plan under `dir` (which must be empty); never writes through a symlink. */
export async function materialize(plan: RootfsPlan, dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const d of plan.dirs) {
    await mkdir(path.join(dir, d.path), { recursive: true });
    await chmod(path.join(dir, d.path), d.mode);
  }
  for (const f of plan.files) {
    await copyFile(f.path, path.join(dir, f.path));
    await chmod(path.join(dir, f.path), f.mode);
  }
  for (const w of plan.writes) {
    await writeFile(path.join(dir, w.path), w.content, { mode: w.mode });
    await chmod(path.join(dir, w.path), w.mode);
  }
  for (const l of plan.symlinks) await symlink(l.target, path.join(dir, l.path));
}

export async function imageExists(name: string): Promise<boolean> {
  try {
    await (await dockerode()).getImage(name).inspect();
    return true;
  } catch (err) {
    if (dockerStatus(err) === 404) return false;
    throw err;
  }
}

async function importDir(dir: string, name: string): Promise<void> {
  const [repo, tag] = name.split(":") as [string, string];
  const tar = spawn("tar", ["-C", dir, "--numeric-owner", "--owner=0", "--group=0", "-c", "."], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tarErr = "";
  tar.stderr.setEncoding("utf8").on("data", (s: string) => (tarErr += s));
  const tarDone = new Promise<number>((resolve, reject) => {
    tar.on("error", reject);
    tar.on("close", (code) => resolve(code ?? -1));
  });
  const docker = await dockerode();
  const progress = await docker.importImage(tar.stdout, {
    repo,
    tag,
    changes: [`ENV PATH=${IMAGE_PATH}`, "ENV HOME=/root", "WORKDIR /", `CMD ["${process.execPath}"]`, "LABEL lastseen.e2e.base=1"],
  });
  let body = "";
  progress.setEncoding("utf8");
  for await (const chunk of progress) body += chunk as string;
  const code = await tarDone;
  if (code !== 0) throw new Error(`tar -C ${dir} -c . exited ${code}: ${tarErr.trim()}`);
  for (const line of body.split("\n")) {
    if (line.trim() === "") continue;
    const msg = JSON.parse(line) as { error?: string };
    if (msg.error) throw new Error(`docker import: ${msg.error}`);
  }
}

async function build(recipe: BaseImageRecipe, log: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), "lastseen-rootfs-"));
  try {
    await materialize(recipe.plan, dir);
    await importDir(dir, recipe.name);
  } catch (err) {
    if (err instanceof E2eError) throw err;
    throw new E2eError("LASTSEEN_ERR_E2E_IMAGE_BUILD", `building ${recipe.name} in ${dir} failed: ${(err as Error).message}`, { cause: err });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (!(await imageExists(recipe.name))) {
    throw new E2eError("LASTSEEN_ERR_E2E_IMAGE_BUILD", `docker import reported success but ${recipe.name} does not exist`);
  }
  const files = recipe.plan.files.length;
  const mib = recipe.plan.files.reduce((n, f) => n + f.size, 0) / 2 ** 20;
  log(`[e2e] built ${recipe.name} (${files} files, ${mib.toFixed(1)} MiB, ${recipe.tools}) in ${Date.now() - t0} ms`);
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Returns the base image name ("lastseen-node:20.20.2-<hash>"), building it when missing. Safe to
 * call from every test file: one build per process (memo) and per machine (lock file in tmpdir).
 */
export async function ensureBaseImage(opts: BaseImageOptions = {}): Promise<string> {
  const recipe = await baseImageRecipe(opts);
  const log = opts.log ?? ((line: string) => console.info(line));
  let pending = inFlight.get(recipe.name);
  if (!pending) {
    pending = (async () => {
      if (await imageExists(recipe.name)) return recipe.name;
      const lockPath = path.join(os.tmpdir(), `${recipe.name.replace(/[^A-Za-z0-9_.-]/g, "_")}.lock`);
      await withFileLock(lockPath, { timeoutMs: 300_000, doneByOther: () => imageExists(recipe.name) }, async () => {
        if (!(await imageExists(recipe.name))) await build(recipe, log);
      });
      return recipe.name;
    })();
    inFlight.set(recipe.name, pending);
    // A failed build is not memoized: the next call tries again.
    pending.catch(() => inFlight.delete(recipe.name));
  }
  return pending;
}
