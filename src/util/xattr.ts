/**
 * Reading extended attributes, which Node cannot do: one python3 process reads one attribute of
 * a whole list of paths, so that packing a tree costs one process, not one per file. Setting them
 * is store/layers/special-files.ts's job.
 */
import { execFile } from 'node:child_process';
import { System } from '../errdefs/index.js';

export const CAPABILITY_XATTR = 'security.capability';

/** Debian's python3 (scripts/setup.sh), named directly: a PATH shim such as pyenv's costs ~10x its start-up. */
const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, os, sys
out = []
for i, (p, name) in enumerate(json.load(sys.stdin)):
    try:
        out.append([i, os.getxattr(p, name, follow_symlinks=False).hex()])
    except OSError:
        pass
sys.stdout.write(json.dumps(out))
`;

/** One attribute to read: xattr `name` of `path`. */
export type XattrQuery = readonly [path: string, name: string];

/**
 * The value of each query, in order, read without following a final symlink (lgetxattr); a
 * path that lacks the attribute, or cannot be read, gets undefined (as Docker's lgetxattr
 * callers treat it). One process for the whole list; none for an empty one.
 */
export function readXattrs(queries: readonly XattrQuery[]): Promise<Array<Buffer | undefined>> {
  const found: Array<Buffer | undefined> = new Array<Buffer | undefined>(queries.length).fill(undefined);
  if (queries.length === 0) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-I', '-S', '-c', SCRIPT], { maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new System(`reading xattrs: ${stderr.trim() || err.message}`, { cause: err }));
        return;
      }
      for (const [i, hex] of JSON.parse(stdout) as Array<[number, string]>) found[i] = Buffer.from(hex, 'hex');
      resolve(found);
    });
    // A helper that died early closes the pipe; its exit status says why.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(queries));
  });
}

/** vfs_cap_data (linux/capability.h): the revision sits in the top byte of the little-endian magic. */
const VERSION_OFFSET = 3;
const VFS_CAP_REVISION_2 = 2;
const VFS_CAP_REVISION_3 = 3;
const XATTR_CAPS_SZ_2 = 20;

/**
 * A capability as a tar records it: a revision 3 value (which names the root uid of the user
 * namespace it was set in) becomes revision 2, since that uid means nothing outside this host
 * (moby ReadSecurityXattrToTarHeader does the same).
 */
export function portableCapability(value: Buffer): Buffer {
  if (value.length <= VERSION_OFFSET || value[VERSION_OFFSET] !== VFS_CAP_REVISION_3) return value;
  const v2 = Buffer.from(value.subarray(0, XATTR_CAPS_SZ_2));
  v2[VERSION_OFFSET] = VFS_CAP_REVISION_2;
  return v2;
}

/** The file capabilities among `paths` (callers pass regular files only), as portableCapability gives them. */
export async function readCapabilities(paths: readonly string[]): Promise<Map<string, Buffer>> {
  const values = await readXattrs(paths.map((p) => [p, CAPABILITY_XATTR] as const));
  const caps = new Map<string, Buffer>();
  values.forEach((v, i) => {
    if (v !== undefined) caps.set(paths[i]!, portableCapability(v));
  });
  return caps;
}
