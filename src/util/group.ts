import { readFile } from 'node:fs/promises';
import { isErrno } from '../errdefs/index.js';

/**
 * The GID of a group, as dockerd resolves `--group`: a group named `name` in the group(5) file,
 * else `name` itself when it is a decimal GID; undefined when neither (a missing file included).
 */
export async function lookupGroupId(name: string, o: { groupFile: string }): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(o.groupFile, 'utf8');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    text = '';
  }
  for (const line of text.split('\n')) {
    const [groupName, , gid] = line.split(':');
    if (groupName === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return /^\d+$/.test(name) ? Number(name) : undefined;
}
