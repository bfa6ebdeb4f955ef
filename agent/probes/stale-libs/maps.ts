// Parsing /proc/PID/maps, cheaply. A typical host has hundreds of processes and only a few have a
// deleted mapping, so we search the raw bytes for the marker first and decode only matching lines.
//
// A maps line: "start-end perms offset dev inode      path", e.g.
//   7f2c1a000000-7f2c1a1c6000 r-xp 00026000 fe:01 1311  /usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)
// Only mappings with the 'x' permission count: code that runs. Data-only mappings of deleted files
// (locale archives, fonts, caches) do not make a process run old code.

const MARKER = " (deleted)";
const MARKER_NL = Buffer.from(" (deleted)\n", "latin1");
const NL = 0x0a;
const X = 0x78; // 'x'
const SPACE = 0x20;

/**
 * Paths (without the marker) of the executable mappings of deleted files, in order of appearance,
 * possibly with repeats. Reads the bytes of a maps file as the kernel wrote them.
 */
export function deletedExecutableMappings(maps: Uint8Array): string[] {
  const buf = Buffer.isBuffer(maps) ? maps : Buffer.from(maps.buffer, maps.byteOffset, maps.byteLength);
  const out: string[] = [];
  let from = 0;
  for (;;) {
    let hit = buf.indexOf(MARKER_NL, from);
    let end: number;
    if (hit === -1) {
      // The last line may lack its newline (not on Linux, but fixtures and other kernels).
      if (buf.length >= MARKER.length && buf.toString("latin1", buf.length - MARKER.length) === MARKER) {
        hit = buf.length - MARKER.length;
        end = buf.length;
      } else {
        break;
      }
    } else {
      end = hit + MARKER_NL.length;
    }
    const start = buf.lastIndexOf(NL, hit - 1) + 1;
    const path = executablePath(buf, start, hit);
    if (path !== null) out.push(path);
    if (end >= buf.length) break;
    from = end;
  }
  return out;
}

/** The path of one line [start, pathEnd) when its mapping is executable, else null. */
function executablePath(buf: Buffer, start: number, pathEnd: number): string | null {
  // Field 1: address range; field 2: perms (4 characters, 'x' third).
  const sp1 = buf.indexOf(SPACE, start);
  if (sp1 === -1 || sp1 + 4 >= pathEnd) return null;
  if (buf[sp1 + 3] !== X) return null;
  // Skip perms, offset, dev, inode: four space-separated fields after the address.
  let i = sp1;
  for (let field = 0; field < 4; field++) {
    while (i < pathEnd && buf[i] === SPACE) i++;
    const inodeStart = i;
    while (i < pathEnd && buf[i] !== SPACE) i++;
    if (field === 3 && isZeroField(buf, inodeStart, i)) return null; // inode 0: anonymous
  }
  while (i < pathEnd && buf[i] === SPACE) i++;
  if (i >= pathEnd) return null;
  return buf.toString("utf8", i, pathEnd);
}

function isZeroField(buf: Buffer, from: number, to: number): boolean {
  return to - from === 1 && buf[from] === 0x30;
}

/** readlink of /proc/PID/exe: the path without the marker when the executable was deleted. */
export function deletedExecutable(exeLink: string): string | null {
  return exeLink.endsWith(MARKER) ? exeLink.slice(0, -MARKER.length) : null;
}
