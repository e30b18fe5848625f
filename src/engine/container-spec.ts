/**
 * The OCI config.json for a container, composed from the SpecOpt mutators the way Docker
 * builds its spec (moby daemon/oci_linux.go): process from the merged config, Docker's default
 * mounts, capabilities, masked and read-only paths, namespaces (network: the one NetworkService
 * prepared), device rules, cgroup path,
 * /etc/hosts, /etc/hostname and /etc/resolv.conf bind mounts, then seccomp and privileged.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameter, isErrno } from '../errdefs/index.js';
import type { Mount, Spec } from '../oci/runtime-spec.js';
import { parseSeccompProfile, type DockerSeccompProfile } from '../oci/seccomp-profile.js';
import {
  applySpecOpts, defaultSpec, withCapTweaks, withCgroupsPath, withDefaultDevices, withDefaultMounts, withMaskedPaths,
  withMounts, withNamespaces, withNoNewPrivileges, withPrivileged, withReadonlyPaths, withResources, withSeccomp, type ResourceOptions, type SpecOpt,
} from '../oci/spec-opts/index.js';
import type { ContainerRecord } from '../container/container.js';
import { extraGroups, runOptionOpts } from './run-options.js';
import type { NamespaceMode } from '../oci/spec-opts/namespaces.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * moby Container.CreateDaemonEnvironment: PATH, HOSTNAME, TERM (tty), then the config's env
 * replacing or appending, then `extra` (an exec's Env) the same way.
 */
export function containerEnv(c: ContainerRecord, o: { tty?: boolean; extra?: readonly string[] } = {}): string[] {
  const env = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${c.Config.Hostname ?? ''}`];
  if (o.tty ?? c.Config.Tty === true) env.push('TERM=xterm');
  for (const e of [...(c.Config.Env ?? []), ...(o.extra ?? [])]) {
    const key = e.split('=')[0]!;
    const i = env.findIndex((x) => x.split('=')[0] === key);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  return env;
}

interface User {
  uid: number;
  gid: number;
  additionalGids: number[];
}

async function readEtc(rootfs: string, file: string): Promise<string[][]> {
  try {
    return (await readFile(join(rootfs, 'etc', file), 'utf8')).split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return [];
    throw err;
  }
}

/** `user`, `uid`, `user:group`, `uid:gid` resolved against the container's /etc/passwd and /etc/group (moby/sys/user). */
export async function resolveUser(rootfs: string, spec: string): Promise<User> {
  const [u = '', g] = spec.split(':');
  const passwd = await readEtc(rootfs, 'passwd');
  const groups = await readEtc(rootfs, 'group');
  let uid = 0;
  let gid = 0;
  let name = 'root';
  if (u !== '') {
    const entry = passwd.find((p) => p[0] === u) ?? (/^\d+$/.test(u) ? passwd.find((p) => p[2] === u) : undefined);
    if (entry) {
      name = entry[0]!;
      uid = Number(entry[2]);
      gid = Number(entry[3]);
    } else if (/^\d+$/.test(u)) {
      uid = Number(u);
      name = '';
    } else {
      throw new InvalidParameter(`unable to find user ${u}: no matching entries in passwd file`);
    }
  } else {
    const root = passwd.find((p) => p[0] === 'root');
    if (root) gid = Number(root[3]);
  }
  if (g !== undefined && g !== '') {
    const entry = groups.find((e) => e[0] === g) ?? (/^\d+$/.test(g) ? groups.find((e) => e[2] === g) : undefined);
    if (entry) gid = Number(entry[2]);
    else if (/^\d+$/.test(g)) gid = Number(g);
    else throw new InvalidParameter(`unable to find group ${g}: no matching entries in group file`);
  }
  const additionalGids = name === '' ? [] : groups.filter((e) => (e[3] ?? '').split(',').includes(name)).map((e) => Number(e[2])).filter((x) => x !== gid);
  return { uid, gid, additionalGids };
}

const HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

/**
 * Writes hosts, hostname and resolv.conf into the container directory; returns their bind mounts.
 * `etc` is what the network set up for the container (NetworkService.setUp); without it the
 * localhost block and the host's resolver config.
 */
export async function writeEtcFiles(dir: string, c: ContainerRecord, etc?: { hosts: string; resolvConf: string }): Promise<Mount[]> {
  const hostname = c.Config.Hostname ?? c.ID.slice(0, 12);
  await writeFile(join(dir, 'hosts'), etc?.hosts ?? HOSTS);
  await writeFile(join(dir, 'hostname'), `${hostname}\n`);
  let resolv = etc?.resolvConf;
  if (resolv === undefined) {
    try {
      resolv = await readFile('/etc/resolv.conf', 'utf8');
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      resolv = '';
    }
  }
  await writeFile(join(dir, 'resolv.conf'), resolv);
  return etcFileBinds(dir).map((b) => ({ destination: b.destination, type: 'bind', source: b.source, options: ['rbind', 'rprivate'] }));
}

/**
 * The files writeEtcFiles keeps in the container's directory and binds over /etc in the container
 * (they exist once it has been started); `docker cp` mounts them too (moby NetworkMounts).
 */
export function etcFileBinds(dir: string): { source: string; destination: string }[] {
  return ['resolv.conf', 'hostname', 'hosts'].map((f) => ({ source: join(dir, f), destination: `/etc/${f}` }));
}

/** HostConfig's resource fields (numbers as the CLI sends them; anything else is ignored). */
export function resourceOptions(hc: ContainerRecord['HostConfig']): ResourceOptions {
  const num = (k: string): number | undefined => (typeof hc[k] === 'number' ? (hc[k] as number) : undefined);
  const str = (k: string): string | undefined => (typeof hc[k] === 'string' ? (hc[k] as string) : undefined);
  const o: ResourceOptions = {};
  const set = <K extends keyof ResourceOptions>(k: K, v: ResourceOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('memory', num('Memory'));
  set('memorySwap', num('MemorySwap'));
  set('memoryReservation', num('MemoryReservation'));
  set('cpuShares', num('CpuShares'));
  set('cpuPeriod', num('CpuPeriod'));
  set('cpuQuota', num('CpuQuota'));
  set('nanoCpus', num('NanoCpus'));
  set('cpusetCpus', str('CpusetCpus'));
  set('cpusetMems', str('CpusetMems'));
  set('pidsLimit', num('PidsLimit'));
  set('blkioWeight', num('BlkioWeight'));
  if (hc.OomKillDisable === true) o.oomKillDisable = true;
  return o;
}

/**
 * `--security-opt seccomp=…`: `unconfined`, or a profile the CLI has already read from the
 * user's file and sent as JSON (Docker's format); otherwise the daemon's default profile.
 */
export function seccompFor(securityOpts: readonly string[], dflt: DockerSeccompProfile): DockerSeccompProfile | 'unconfined' {
  const opt = securityOpts.find((s) => /^seccomp[:=]/.test(s));
  if (opt === undefined) return dflt;
  const value = opt.slice('seccomp='.length);
  if (value === 'unconfined') return 'unconfined';
  if (value === 'builtin' || value === '') return dflt;
  return parseSeccompProfile(value, 'seccomp profile from --security-opt');
}

export interface BuildSpecOptions {
  container: ContainerRecord;
  /** The mounted overlay (absolute). */
  rootfs: string;
  etcMounts: Mount[];
  seccomp: DockerSeccompProfile;
  /** The container's binds, volumes and `--mount` tmpfs (engine/mounts.ts setup()). */
  mounts?: SpecOpt;
  /** The network namespace NetworkService prepared; by default host for `--network host`, else a private one. */
  netns?: NamespaceMode;
}

export async function buildSpec(o: BuildSpecOptions): Promise<Spec> {
  const c = o.container;
  const hc = c.HostConfig;
  const user = await resolveUser(o.rootfs, c.Config.User ?? '');
  for (const g of extraGroups(hc, await readEtc(o.rootfs, 'group'))) if (!user.additionalGids.includes(g)) user.additionalGids.push(g);
  const security = hc.SecurityOpt ?? [];
  const opts: SpecOpt[] = [
    withDefaultMounts(hc.ShmSize !== undefined && hc.ShmSize > 0 ? { shmSize: hc.ShmSize } : {}),
    withCapTweaks({ add: hc.CapAdd ?? [], drop: hc.CapDrop ?? [] }),
    withMaskedPaths(),
    withReadonlyPaths(),
    withNamespaces({ network: o.netns ?? (hc.NetworkMode === 'host' ? 'host' : 'private') }),
    withDefaultDevices(),
    withCgroupsPath(c.ID),
    withMounts(o.etcMounts),
    withResources(resourceOptions(hc)),
    ...runOptionOpts(hc),
    ...(o.mounts !== undefined ? [o.mounts] : []),
  ];
  if (security.some((s) => /^no-new-privileges(?:[:=]true)?$/.test(s))) opts.push(withNoNewPrivileges());
  if (hc.Privileged === true) opts.push(withPrivileged());
  else opts.push(withSeccomp(seccompFor(security, o.seccomp)));
  const spec = applySpecOpts(
    defaultSpec({
      rootfs: o.rootfs,
      args: [c.Path, ...c.Args],
      env: containerEnv(c),
      cwd: c.Config.WorkingDir || '/',
      terminal: c.Config.Tty === true,
      hostname: c.Config.Hostname ?? c.ID.slice(0, 12),
      user,
      readonlyRootfs: hc.ReadonlyRootfs === true,
    }),
    ...opts,
  );
  // The CLI sends the terminal's size (API 1.42+): the pty starts with it, before any resize call.
  const cs = hc.ConsoleSize;
  if (c.Config.Tty === true && spec.process !== undefined && Array.isArray(cs) && cs.length === 2) {
    const [height, width] = cs as unknown[];
    if (typeof height === 'number' && typeof width === 'number' && height > 0 && width > 0) spec.process.consoleSize = { height, width };
  }
  return spec;
}
