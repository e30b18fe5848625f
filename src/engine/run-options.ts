/**
 * `docker run` options that become spec mutators: --tmpfs, --ulimit, --sysctl, --device,
 * --group-add and --init (moby daemon/oci_linux.go does the same mapping).
 */
import { realpathSync, statSync } from 'node:fs';
import { InvalidParameter, isErrno } from '../errdefs/index.js';
import type { LinuxDevice, Mount, Spec } from '../oci/runtime-spec.js';
import { withRlimits, type SpecOpt } from '../oci/spec-opts/index.js';
import { linuxOf, resourcesOf } from '../oci/spec-opts/spec-opt.js';
import type { ContainerRecord } from '../container/container.js';

type HostConfig = ContainerRecord['HostConfig'];

/** Where Docker mounts its init, and the binary it uses (tini, from docker.io / tini). */
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';
const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/bin/tini'];

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** --tmpfs /path[:opts]: Docker's defaults are noexec,nosuid,nodev. */
function withTmpfs(tmpfs: Record<string, unknown>): SpecOpt {
  return (spec: Spec) => {
    const mounts: Mount[] = Object.entries(tmpfs).map(([dest, opts]) => ({
      destination: dest,
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['noexec', 'nosuid', 'nodev', ...String(opts ?? '').split(',').filter((o) => o !== '')],
    }));
    spec.mounts = [...(spec.mounts ?? []).filter((m) => !mounts.some((t) => t.destination === m.destination)), ...mounts];
  };
}

function withSysctls(sysctls: Record<string, unknown>): SpecOpt {
  return (spec: Spec) => {
    const linux = linuxOf(spec);
    linux.sysctl = { ...(linux.sysctl ?? {}), ...Object.fromEntries(Object.entries(sysctls).map(([k, v]) => [k, String(v)])) };
  };
}

/** Linux's dev_t split (glibc's gnu_dev_major/minor). */
function majorMinor(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  return {
    major: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)),
    minor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)),
  };
}

/** --device HOST[:CONTAINER[:PERMS]]: the node inside, and the cgroup rule that allows it. */
function withDevices(devices: unknown[]): SpecOpt {
  const resolved: { dev: LinuxDevice; access: string }[] = [];
  for (const d of devices) {
    const r = record(d);
    const host = String(r.PathOnHost ?? '');
    const inside = String(r.PathInContainer || host);
    const access = String(r.CgroupPermissions || 'rwm');
    let st;
    try {
      st = statSync(host);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new InvalidParameter(`error gathering device information while adding custom device "${host}": no such file or directory`);
      throw err;
    }
    const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
    if (!type) throw new InvalidParameter(`error gathering device information while adding custom device "${host}": not a device node`);
    resolved.push({ dev: { path: inside, type, ...majorMinor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid }, access });
  }
  return (spec: Spec) => {
    const linux = linuxOf(spec);
    linux.devices = [...(linux.devices ?? []).filter((x) => !resolved.some((r) => r.dev.path === x.path)), ...resolved.map((r) => r.dev)];
    const res = resourcesOf(spec);
    res.devices = [
      ...(res.devices ?? []),
      ...resolved.map((r) => ({ allow: true, type: r.dev.type as 'c' | 'b', major: r.dev.major, minor: r.dev.minor, access: r.access })),
    ];
  };
}

/** --init: tini as PID 1, reaping zombies and forwarding signals. */
function withInit(): SpecOpt {
  const found = INIT_CANDIDATES.find((p) => {
    try {
      return statSync(p).isFile();
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  });
  if (!found) throw new InvalidParameter('--init requires docker-init (tini), which is not installed on the host');
  const source = realpathSync(found);
  return (spec: Spec) => {
    spec.mounts = [...(spec.mounts ?? []), { destination: INIT_PATH_IN_CONTAINER, type: 'bind', source, options: ['bind', 'ro'] }];
    if (spec.process) spec.process.args = [INIT_PATH_IN_CONTAINER, '--', ...(spec.process.args ?? [])];
  };
}

/** --group-add: numeric GIDs, or names from the container's /etc/group. */
export function extraGroups(hc: HostConfig, groups: readonly string[][]): number[] {
  const out: number[] = [];
  for (const g of Array.isArray(hc.GroupAdd) ? (hc.GroupAdd as unknown[]).map(String) : []) {
    if (/^\d+$/.test(g)) out.push(Number(g));
    else {
      const entry = groups.find((e) => e[0] === g);
      if (!entry) throw new InvalidParameter(`Unable to find group ${g}: no matching entries in group file`);
      out.push(Number(entry[2]));
    }
  }
  return out;
}

/** The spec mutators for the run options above that this container asks for. */
export function runOptionOpts(hc: HostConfig): SpecOpt[] {
  const opts: SpecOpt[] = [];
  const tmpfs = record(hc.Tmpfs);
  if (Object.keys(tmpfs).length > 0) opts.push(withTmpfs(tmpfs));
  const sysctls = record(hc.Sysctls);
  if (Object.keys(sysctls).length > 0) opts.push(withSysctls(sysctls));
  if (Array.isArray(hc.Devices) && hc.Devices.length > 0) opts.push(withDevices(hc.Devices as unknown[]));
  if (Array.isArray(hc.Ulimits) && hc.Ulimits.length > 0) {
    opts.push(
      withRlimits(
        (hc.Ulimits as unknown[]).map((u) => {
          const r = record(u);
          return { type: String(r.Name), soft: Number(r.Soft), hard: Number(r.Hard) };
        }),
      ),
    );
  }
  if (hc.Init === true) opts.push(withInit());
  return opts;
}
