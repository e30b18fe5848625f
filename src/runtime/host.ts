import { mkdir, readFile } from 'node:fs/promises';
import { System } from '../errdefs/index.js';
import { execCommand } from '../util/exec.js';


export type CgroupMode = 'v1' | 'hybrid' | 'v2';

/** Which cgroup layout the host has, from /proc/self/mountinfo. */
export async function cgroupMode(mountinfo?: string): Promise<CgroupMode> {
  const text = mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8'));
  let v1 = false;
  let v2Root = false;
  for (const line of text.split('\n')) {
    const [, post] = line.split(' - ');
    if (post === undefined) continue;
    const fstype = post.split(' ')[0];
    const mountPoint = line.split(' ')[4];
    if (fstype === 'cgroup') v1 = true;
    if (fstype === 'cgroup2' && mountPoint === '/sys/fs/cgroup') v2Root = true;
  }
  if (v2Root) return 'v2';
  return v1 ? 'hybrid' : 'v2';
}

/**
 * crun refuses a hybrid host while the hugetlb controller sits on the v2 hierarchy ("cgroups in
 * hybrid mode not supported"); mounting a v1 hugetlb hierarchy fixes it. Idempotent; a no-op on
 * a pure v2 host or when hugetlb is already a v1 hierarchy. Needs root.
 */
export async function ensureHugetlbV1(cgroupRoot = '/sys/fs/cgroup'): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  if ((await cgroupMode(mountinfo)) === 'v2') return;
  const has = mountinfo.split('\n').some((line) => {
    const post = line.split(' - ')[1];
    return post !== undefined && post.startsWith('cgroup ') && /(^|,)hugetlb(,|$)/.test(post.split(' ')[2] ?? '');
  });
  if (has) return;
  const target = `${cgroupRoot}/hugetlb`;
  await mkdir(target, { recursive: true });
  try {
    await execCommand('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', target]);
  } catch (err) {
    throw new System(`mount hugetlb cgroup v1 at ${target}: ${(err as { stderr?: string }).stderr ?? String(err)}`, { cause: err });
  }
}
