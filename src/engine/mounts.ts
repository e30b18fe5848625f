/**
 * ContainerMounts: what a container mounts besides its root filesystem — binds, named and
 * anonymous volumes, `--mount type=tmpfs` and `--volumes-from` — from create to removal, as
 * moby's daemon/volumes.go does it.
 *
 * Lifecycle: resolve() (create) validates every request first, then creates the volumes the
 * container needs (named ones on demand, anonymous ones for `-v /path` and the image's VOLUMEs)
 * and returns the mount points the record keeps; populate() fills new empty volumes from the
 * image (Docker's copy-up); rollback() undoes that if the create fails later. setup() (start)
 * mounts volumes that have a filesystem of their own, creates missing `-v` bind sources and
 * returns the spec mutator; release() (exit, failed start) drops the volume mounts; removed() (container
 * removal) removes the anonymous volumes when asked (`rm -v`).
 *
 * References: a volume is in use while a container record has a mount point on it, or while a
 * create that made it for a container is still under way (pending).
 */
import { existsSync, type Stats } from 'node:fs';
import { chmod, chown, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HostConfig, MountPoint } from '../api/containers.js';
import type { MountSpec, Volume, VolumeCreateOptions } from '../api/volumes.js';
import type { ContainerRecord } from '../container/container.js';
import type { MountPointRecord } from '../container/mount-point.js';
import { mountRootfs, unmountRootfs, type RootfsPaths } from '../container/rootfs.js';
import { InvalidParameter, NotFound, System, isConflict, isErrno, isNotFound, messageOf } from '../errdefs/index.js';
import type { ContainerConfig } from '../oci/image.js';
import type { Mount } from '../oci/runtime-spec.js';
import { withMounts, type SpecOpt } from '../oci/spec-opts/index.js';
import { linuxOf } from '../oci/spec-opts/spec-opt.js';
import type { Logger } from '../util/logger.js';
import { validateVolumeName } from '../volume/local.js';
import { cleanPath, parseBind, parseMountSpec, parseVolumesFrom } from './mount-parse.js';
import { resolveInRoot } from './rootfs-archive.js';
import { execCommand } from '../util/exec.js';


/** What mounts need from the volume service. */
export interface MountVolumes {
  create(o: VolumeCreateOptions): Promise<Volume>;
  has(name: string): boolean;
  mount(name: string): Promise<string>;
  unmount(name: string): Promise<void>;
  restoreMount(name: string): void;
  remove(name: string, o?: { force?: boolean }): Promise<void>;
}

export interface ContainerMountsOptions {
  volumes: MountVolumes;
  /** A container by ID or name (NotFound otherwise), for `--volumes-from`. */
  findContainer: (ref: string) => ContainerRecord;
  /** Every container record (for volume references). */
  containers: () => ContainerRecord[];
  logger: Logger;
  /** Volume events: `mount` when a container starts with the volume, `unmount` when it stops. */
  emit?: (action: string, volume: string, attributes: Record<string, string>) => void;
}

export interface ResolvedMounts {
  mountPoints: Record<string, MountPointRecord>;
  /** Removes the volumes this resolve created (the create failed after it). */
  rollback(): Promise<void>;
}

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const depth = (p: string): number => p.split('/').filter((x) => x !== '').length;

/** Parents before children (moby sortMounts), so a mount inside another one is not hidden by it. */
function byDepth(list: MountPointRecord[]): MountPointRecord[] {
  return [...list].sort((a, b) => depth(a.Destination) - depth(b.Destination) || a.Destination.localeCompare(b.Destination));
}

/** moby MergeTmpfsOptions: later options win; a flag replaces its opposite (exec/noexec …). */
export function mergeTmpfsOptions(opts: readonly string[]): string[] {
  const opposite: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev', ro: 'rw', rw: 'ro' };
  const out: string[] = [];
  for (const o of opts) {
    const key = o.includes('=') ? `${o.split('=')[0]!}=` : o;
    const drop = (x: string): boolean => (key.endsWith('=') ? x.startsWith(key) : x === o || x === opposite[o]);
    for (let i = out.length - 1; i >= 0; i--) if (drop(out[i]!)) out.splice(i, 1);
    out.push(o);
  }
  return out;
}

export class ContainerMounts {
  readonly #o: ContainerMountsOptions;
  /** Volumes made for containers whose create is still under way. */
  readonly #pending = new Map<string, Set<string>>();
  /** Volumes each running container has mounted (released on exit). */
  readonly #held = new Map<string, string[]>();

  constructor(o: ContainerMountsOptions) {
    this.#o = o;
  }

  /** IDs of the containers that use the volume. */
  references(name: string): string[] {
    const ids = new Set(this.#o.containers().filter((c) => Object.values(c.MountPoints ?? {}).some((m) => m.Type === 'volume' && m.Name === name)).map((c) => c.ID));
    for (const [id, names] of this.#pending) if (names.has(name)) ids.add(id);
    return [...ids];
  }

  async resolve(o: { id: string; config: ContainerConfig; hostConfig: HostConfig }): Promise<ResolvedMounts> {
    const hc = o.hostConfig;
    const tmpfs = Object.keys(record(hc.Tmpfs)).map(cleanPath);
    // Everything is parsed and checked before any volume is made.
    const from = (hc.VolumesFrom ?? []).map((s) => {
      const spec = parseVolumesFrom(s);
      try {
        return { source: this.#o.findContainer(spec.container), rw: spec.rw };
      } catch (err) {
        // Not a 404: the docker CLI reads a 404 from create as a missing image and pulls.
        if (isNotFound(err)) throw new InvalidParameter(messageOf(err), { cause: err });
        throw err;
      }
    });
    const binds = (hc.Binds ?? []).map(parseBind);
    const specs = Array.isArray(hc.Mounts) ? (hc.Mounts as unknown[]).map((m) => record(m) as MountSpec) : [];
    const mounts = specs.map(parseMountSpec);
    const driver = hc.VolumeDriver ?? '';
    for (const r of [...binds, ...mounts]) {
      if (r.Type !== 'volume') continue;
      const d = r.Driver ?? driver;
      if (d !== '' && d !== 'local') throw new NotFound(`create ${r.Source}: error looking up volume plugin ${d}: plugin "${d}" not found`);
      if (r.Source === '') continue;
      try {
        validateVolumeName(r.Source);
      } catch (err) {
        throw new InvalidParameter(`create ${r.Source}: ${messageOf(err)}`, { cause: err });
      }
    }
    for (const key of Object.keys(record(o.config.Volumes))) {
      if (!key.startsWith('/')) throw new InvalidParameter(`invalid mount config for type "volume": invalid mount path: '${key}' mount path must be absolute`);
    }

    const points = new Map<string, MountPointRecord>();
    /** Requests whose volume is still to be made, with what to create it with. */
    const toCreate = new Map<MountPointRecord, VolumeCreateOptions>();
    for (const { source, rw } of from) {
      for (const m of Object.values(source.MountPoints ?? {})) points.set(m.Destination, { ...m, RW: m.RW && rw, CopyData: false });
    }
    const taken = new Set<string>();
    const claim = (dest: string, fromBinds: boolean): void => {
      if (taken.has(dest) || (fromBinds && tmpfs.includes(dest))) throw new InvalidParameter(`Duplicate mount point: ${dest}`);
      taken.add(dest);
    };
    for (const b of binds) {
      claim(b.Destination, true);
      points.set(b.Destination, b);
      if (b.Type === 'volume') toCreate.set(b, { Name: b.Source });
    }
    mounts.forEach((m, i) => {
      claim(m.Destination, false);
      points.set(m.Destination, m);
      const vo = specs[i]!.VolumeOptions;
      if (m.Type === 'volume') {
        toCreate.set(m, { Name: m.Source, ...(vo?.Labels ? { Labels: vo.Labels } : {}), ...(vo?.DriverConfig?.Options ? { DriverOpts: vo.DriverConfig.Options } : {}) });
      }
    });
    // The image's VOLUMEs and `-v /path`: an anonymous volume where nothing else is mounted.
    const anonymous = new Set<MountPointRecord>();
    for (const key of Object.keys(record(o.config.Volumes))) {
      const dest = cleanPath(key);
      if (points.has(dest) || tmpfs.includes(dest)) continue;
      const m: MountPointRecord = { Type: 'volume', Source: '', Destination: dest, RW: true, Mode: '', Propagation: '', CopyData: true, Named: false };
      points.set(dest, m);
      toCreate.set(m, {});
      anonymous.add(m);
    }

    const created: string[] = [];
    const pending = new Set<string>();
    this.#pending.set(o.id, pending);
    const rollback = async (): Promise<void> => {
      this.#pending.delete(o.id);
      for (const name of created) {
        await this.#o.volumes.remove(name).catch((err: unknown) => this.#o.logger.warn('removing a volume of a failed create', { volume: name, err: messageOf(err) }));
      }
    };
    try {
      for (const [m, opts] of toCreate) {
        const existed = opts.Name !== undefined && opts.Name !== '' && this.#o.volumes.has(opts.Name);
        const v = await this.#o.volumes.create(opts);
        if (!existed) created.push(v.Name);
        pending.add(v.Name);
        m.Name = v.Name;
        m.Source = v.Mountpoint;
        m.Driver = v.Driver;
        // Docker marks local volumes for SELinux relabelling when no mode was given.
        if (m.Mode === '' && !anonymous.has(m)) m.Mode = 'z';
      }
    } catch (err) {
      await rollback();
      throw err;
    }
    return { mountPoints: Object.fromEntries(points), rollback };
  }

  /**
   * Docker's copy-up, at create (moby populateVolumes): each volume mount point that copies data
   * gets the image's content at its destination if the volume is empty. The overlay is mounted
   * for the copy only when some mount point needs it.
   */
  async populate(c: ContainerRecord, rootfs: RootfsPaths, lowers: readonly string[]): Promise<void> {
    const copies = Object.values(c.MountPoints ?? {}).filter((m) => m.Type === 'volume' && m.CopyData && m.Name !== undefined);
    if (copies.length === 0) return;
    await mountRootfs(rootfs, lowers);
    try {
      for (const m of copies) {
        const path = await this.#o.volumes.mount(m.Name!);
        try {
          await copyUp(rootfs.merged, m.Destination, path, { refuseFile: !m.Named });
        } finally {
          await this.#o.volumes.unmount(m.Name!);
        }
      }
    } finally {
      await unmountRootfs(rootfs);
    }
  }

  /** The create is over (recorded or failed): the record's mount points now hold the references. */
  settled(id: string): void {
    this.#pending.delete(id);
  }

  /**
   * At start, with the root filesystem mounted at `rootfs`: mounts volumes, fills empty ones from
   * the image, creates missing `-v` bind sources; returns the spec mutator for the mounts.
   */
  async setup(c: ContainerRecord, rootfs: string): Promise<SpecOpt> {
    const held: string[] = [];
    const mounts: Mount[] = [];
    let rootPropagation: string | undefined;
    try {
      for (const m of byDepth(Object.values(c.MountPoints ?? {}))) {
        if (m.Type === 'tmpfs') {
          const data = m.Data ? m.Data.split(',') : [];
          mounts.push({ destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', ...data]) });
          continue;
        }
        let source = m.Source;
        if (m.Type === 'volume') {
          source = await this.#o.volumes.mount(m.Name!);
          held.push(m.Name!);
          if (m.Subpath !== undefined) source = await subpathIn(source, m.Subpath);
        } else if (!existsSync(source)) {
          if (m.MustExist === true) throw new InvalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
          // `-v /host:/ctr` creates a missing host directory (Docker's long-standing behaviour).
          await mkdir(source, { recursive: true, mode: 0o755 });
        }
        const opts = [m.NonRecursive === true ? 'bind' : 'rbind', m.RW ? 'rw' : 'ro'];
        if (m.Propagation !== '') opts.push(m.Propagation);
        if (/shared$/.test(m.Propagation)) rootPropagation = 'rshared';
        else if (/slave$/.test(m.Propagation) && rootPropagation === undefined) rootPropagation = 'rslave';
        mounts.push({ destination: m.Destination, type: 'bind', source, options: opts });
      }
    } catch (err) {
      for (const n of held) await this.#o.volumes.unmount(n);
      throw err;
    }
    this.#held.set(c.ID, held);
    for (const m of Object.values(c.MountPoints ?? {})) {
      if (m.Type !== 'volume' || m.Name === undefined) continue;
      this.#o.emit?.('mount', m.Name, { container: c.ID, destination: m.Destination, driver: m.Driver ?? 'local', propagation: m.Propagation, 'read/write': String(m.RW) });
    }
    return (spec) => {
      withMounts(mounts)(spec);
      if (rootPropagation !== undefined) linuxOf(spec).rootfsPropagation = rootPropagation;
    };
  }

  /** The container stopped (or failed to start): its volume mounts are dropped. */
  async release(c: ContainerRecord): Promise<void> {
    const held = this.#held.get(c.ID);
    this.#held.delete(c.ID);
    for (const n of held ?? []) {
      await this.#o.volumes.unmount(n);
      this.#o.emit?.('unmount', n, { container: c.ID, driver: 'local' });
    }
  }

  /** After a daemon restart, a container that kept running still holds its volume mounts. */
  restore(c: ContainerRecord): void {
    const names = Object.values(c.MountPoints ?? {}).filter((m) => m.Type === 'volume' && m.Name !== undefined).map((m) => m.Name!);
    for (const n of names) this.#o.volumes.restoreMount(n);
    this.#held.set(c.ID, names);
  }

  /** The container is gone; with `volumes` (`rm -v`) its anonymous volumes go too, unless another container uses them. */
  async removed(c: ContainerRecord, o: { volumes: boolean }): Promise<void> {
    this.#pending.delete(c.ID);
    await this.release(c);
    if (!o.volumes) return;
    for (const m of Object.values(c.MountPoints ?? {})) {
      if (m.Type !== 'volume' || m.Named || m.Name === undefined) continue;
      await this.#o.volumes.remove(m.Name).catch((err: unknown) => {
        if (isConflict(err) || isNotFound(err)) return;
        this.#o.logger.warn('removing an anonymous volume', { id: c.ID, volume: m.Name, err: messageOf(err) });
      });
    }
  }

  /** inspect's and ps's `Mounts`, in Docker's shape. */
  inspect(c: ContainerRecord): MountPoint[] {
    return Object.values(c.MountPoints ?? {})
      .sort((a, b) => a.Destination.localeCompare(b.Destination))
      .map((m) => ({
        Type: m.Type,
        ...(m.Name !== undefined ? { Name: m.Name } : {}),
        Source: m.Source,
        Destination: m.Destination,
        ...(m.Driver !== undefined ? { Driver: m.Driver } : {}),
        Mode: m.Mode,
        RW: m.RW,
        Propagation: m.Propagation,
      }));
  }

  /**
   * Runs `fn` with the container's binds and volumes mounted into `merged` on the host, so that
   * `docker cp` reads and writes them as the container sees them (moby daemon.mountVolumes).
   * `etc` are the daemon's own /etc files of the container (hostname, hosts, resolv.conf): bound
   * too, unless the container has a mount of its own there; a missing one (never started) is
   * skipped, and cp sees the root filesystem's file, as with Docker.
   *
   * Targets are resolved inside `merged` and mounted by host path: the caller keeps a running
   * container frozen meanwhile (ContainerService.withRootfs), or a swapped symlink could aim the
   * mount at a host path.
   */
  async withVolumesMounted<T>(c: ContainerRecord, merged: string, fn: () => Promise<T>, etc: readonly { source: string; destination: string }[] = []): Promise<T> {
    const done: string[] = [];
    const held: string[] = [];
    const own = Object.values(c.MountPoints ?? {});
    const etcPoints = etc
      .filter((e) => !own.some((m) => cleanPath(m.Destination) === e.destination))
      .map((e): MountPointRecord => ({ Type: 'bind', Source: e.source, Destination: e.destination, RW: c.HostConfig.ReadonlyRootfs !== true, Mode: '', Propagation: '', CopyData: false, Named: false }));
    try {
      for (const m of byDepth([...own, ...etcPoints])) {
        if (m.Type === 'tmpfs') continue;
        let source = m.Source;
        if (m.Type === 'volume') {
          source = await this.#o.volumes.mount(m.Name!);
          held.push(m.Name!);
          if (m.Subpath !== undefined) source = join(source, await resolveInRoot(source, m.Subpath));
        }
        let st: Stats;
        try {
          st = await stat(source);
        } catch (err) {
          if (isErrno(err, 'ENOENT')) continue; // a `-v` source not created yet: nothing to show
          throw err;
        }
        const target = join(merged, await resolveInRoot(merged, m.Destination));
        if (!existsSync(target)) {
          if (st.isDirectory()) await mkdir(target, { recursive: true, mode: 0o755 });
          else {
            await mkdir(dirname(target), { recursive: true, mode: 0o755 });
            await writeFile(target, '', { flag: 'a' });
          }
        }
        await execCommand('mount', ['--bind', source, target]);
        done.push(target);
        if (!m.RW) await execCommand('mount', ['-o', 'remount,bind,ro', target]);
      }
      return await fn();
    } finally {
      for (const t of done.reverse()) {
        await execCommand('umount', [t]).catch(() => execCommand('umount', ['-l', t])).catch((err: unknown) => this.#o.logger.warn('unmounting a volume after copy', { target: t, err: messageOf(err) }));
      }
      for (const n of held) await this.#o.volumes.unmount(n);
    }
  }
}

/**
 * The host path of `subpath` inside a volume, resolved as in a chroot at the volume's root (a
 * symlink in the volume cannot lead out of it); it must exist (moby safepath.Join).
 */
async function subpathIn(volumePath: string, subpath: string): Promise<string> {
  const p = join(volumePath, await resolveInRoot(volumePath, subpath));
  try {
    await stat(p);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) throw new InvalidParameter(`cannot access path ${p}: no such file or directory`, { cause: err });
    throw err;
  }
  return p;
}

/**
 * Docker's copy-up: an empty volume mounted over a directory of the image gets that directory's
 * content, owner and mode first. Binds never do; `nocopy` turns it off.
 */
export async function copyUp(rootfs: string, dest: string, volumePath: string, o: { refuseFile?: boolean } = {}): Promise<void> {
  const src = join(rootfs, await resolveInRoot(rootfs, dest));
  let st: Stats;
  try {
    st = await stat(src);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
    throw err;
  }
  if (!st.isDirectory()) {
    // moby createContainerOSSpecificSettings: an anonymous volume cannot hide a file of the image.
    if (o.refuseFile === true) throw new System(`cannot mount volume over existing file, file exists ${src}`);
    return;
  }
  if ((await readdir(volumePath)).length > 0) return;
  if ((await readdir(src)).length > 0) {
    try {
      await execCommand('cp', ['-a', `${src}/.`, volumePath]);
    } catch (err) {
      throw new Error(`copying the image's ${dest} into its volume: ${((err as { stderr?: string }).stderr ?? messageOf(err)).trim()}`, { cause: err });
    }
  }
  await chown(volumePath, st.uid, st.gid);
  await chmod(volumePath, st.mode & 0o7777);
}
