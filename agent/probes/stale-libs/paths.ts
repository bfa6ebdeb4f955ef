// Package managers write a new file beside the old one and rename it into place. A process that
// mapped the file under its temporary name shows that name in maps; we report the package path.
//   rpm:  /usr/lib64/libssl.so.3;65a1b2c3   (";" and the transaction's hex id)
//   dpkg: /usr/lib/x86_64-linux-gnu/libc.so.6.dpkg-new   (also .dpkg-tmp while backing up)

const RPM_SUFFIX = /;[0-9a-fA-F]+$/;
const DPKG_SUFFIX = /\.dpkg-(?:new|tmp)$/;

export function stripPackageSuffix(path: string): string {
  return path.replace(RPM_SUFFIX, "").replace(DPKG_SUFFIX, "");
}
