import { readFile } from 'node:fs/promises';

/** Whether something is mounted on `target` (an absolute path, as /proc/self/mountinfo spells it). */
export async function isMountPoint(target: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  // mountinfo escapes space, tab, newline and backslash as octal.
  const escaped = target.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return info.split('\n').some((line) => line.split(' ')[4] === escaped);
}
