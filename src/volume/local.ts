/**
 * The local volume driver (Docker's `local`): each volume is a directory `<root>/<name>/` with
 * `_data` (what containers mount) and `volume.json` (name, creation time, labels, driver options).
 *
 * Driver options follow Docker's local driver: `type`, `device` and `o` describe a filesystem
 * mounted on `_data` while containers use the volume (`type=tmpfs,device=tmpfs,o=size=64m`,
 * `type=none,o=bind,device=/srv/x`); without them `_data` is a plain directory.
 *
 * Crash safety: create builds the whole volume in a temp directory and renames it into place,
 * remove renames it away before deleting, so `<root>/<name>` is always a complete volume; init()
 * sweeps the temp directories. Nothing is ever deleted while something is mounted on `_data`
 * (a bind-type volume's `_data` is the user's own directory).
 *
 * Concurrency: callers (VolumeService) serialise operations on one name; mount counts are kept
 * here, in memory, and rebuilt by the service from running containers after a restart.
 */
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameter, System, isErrno, messageOf } from '../errdefs/index.js';
import { TEMP_PREFIX, syncDir, tempPathFor, writeJsonAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/logger.js';
import { isMountPoint } from '../util/mountinfo.js';
import { execCommand } from '../util/exec.js';


/** The label Docker puts on volumes created without a name. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
export const LOCAL_DRIVER = 'local';

/** moby daemon/names: RestrictedNamePattern and its character classes. */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const RESTRICTED_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const VALID_OPTS = new Set(['type', 'o', 'device', 'size']);
const MANDATORY_OPTS: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };
const DATA = '_data';
const META = 'volume.json';

export interface LocalVolume {
  Name: string;
  /** RFC 3339, seconds (Docker's format). */
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
}

/** Docker's local-driver name check (moby daemon/volume/local validateName). */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw new InvalidParameter('volume name is too short, names should be at least two alphanumeric characters');
  if (!NAME_RE.test(name)) {
    throw new InvalidParameter(
      `"${name}" includes invalid characters for a local volume name, only "${RESTRICTED_CHARS}" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

/** Docker's local-driver option check; `size` needs filesystem quotas, which this driver does not set up. */
export function validateDriverOpts(opts: Readonly<Record<string, string>>): void {
  for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) throw new InvalidParameter(`invalid option: "${k}"`);
  if (opts.size !== undefined) throw new InvalidParameter('quota size requested but no quota support');
  for (const [opt, required] of Object.entries(MANDATORY_OPTS)) {
    if (opts[opt] === undefined) continue;
    for (const r of required) if (opts[r] === undefined) throw new InvalidParameter(`missing required option: "${r}"`);
  }
}

/** A volume whose driver options describe a filesystem to mount on `_data`. */
export function needsMount(v: LocalVolume): boolean {
  return v.Options !== null && ((v.Options.type ?? '') !== '' || (v.Options.device ?? '') !== '');
}

export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class LocalDriver {
  readonly root: string;
  readonly #logger: Logger;
  readonly #volumes = new Map<string, LocalVolume>();
  /** Mount counts of volumes that need a mount; the filesystem stays mounted while above zero. */
  readonly #active = new Map<string, number>();

  constructor(o: { root: string; logger: Logger }) {
    this.root = o.root;
    this.#logger = o.logger;
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    for (const name of await readdir(this.root)) {
      const dir = join(this.root, name);
      if (name.startsWith(TEMP_PREFIX)) {
        if (await isMountPoint(join(dir, DATA))) {
          this.#logger.warn('leaving a half-removed volume that is still mounted', { dir });
          continue;
        }
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const st = await lstat(dir);
      // Only directories with a valid name are volumes (a stray file or link is left alone).
      if (!st.isDirectory() || !NAME_RE.test(name)) continue;
      let v: LocalVolume;
      try {
        v = JSON.parse(await readFile(join(dir, META), 'utf8')) as LocalVolume;
      } catch (err) {
        if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
        // A directory someone put here by hand (Docker adopts those too): a plain volume.
        v = { Name: name, CreatedAt: rfc3339(st.ctime), Labels: null, Options: null };
      }
      v.Name = name;
      this.#volumes.set(name, v);
    }
  }

  dataPath(name: string): string {
    return join(this.root, name, DATA);
  }

  get(name: string): LocalVolume | undefined {
    return this.#volumes.get(name);
  }

  list(): LocalVolume[] {
    return [...this.#volumes.values()];
  }

  /** Creates the volume (the caller validated name and options); an existing one is returned as it is. */
  async create(name: string, o: { labels: Record<string, string> | null; options: Record<string, string> | null; now: Date }): Promise<LocalVolume> {
    const existing = this.#volumes.get(name);
    if (existing !== undefined) return existing;
    const v: LocalVolume = { Name: name, CreatedAt: rfc3339(o.now), Labels: o.labels, Options: o.options };
    const final = join(this.root, name);
    const tmp = tempPathFor(final);
    try {
      await mkdir(join(tmp, DATA), { recursive: true, mode: 0o755 });
      await writeJsonAtomic(join(tmp, META), v);
      await rename(tmp, final);
      await syncDir(this.root);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (isErrno(err, 'EEXIST', 'ENOTEMPTY')) throw new System(`volume already exists under ${final}`, { cause: err });
      throw new System(`error while creating volume path '${final}': ${messageOf(err)}`, { cause: err });
    }
    this.#volumes.set(name, v);
    return v;
  }

  /** Deletes the volume and its data; refused while its filesystem is mounted by a container. */
  async remove(name: string): Promise<void> {
    const v = this.#volumes.get(name);
    if (v === undefined) return;
    if ((this.#active.get(name) ?? 0) > 0) throw new System('volume has active mounts');
    const data = this.dataPath(name);
    if (needsMount(v)) await this.#umount(data);
    if (await isMountPoint(data)) throw new System(`unable to remove volume ${name}: ${data} is still mounted`);
    const dir = join(this.root, name);
    const doomed = tempPathFor(dir);
    try {
      await rename(dir, doomed);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw new System(`error removing volume path '${dir}': ${messageOf(err)}`, { cause: err });
    }
    this.#volumes.delete(name);
    await rm(doomed, { recursive: true, force: true });
  }

  /** The path containers bind; mounts the volume's filesystem first when it has one. */
  async mount(name: string): Promise<string> {
    const v = this.#volumes.get(name);
    const data = this.dataPath(name);
    if (v === undefined || !needsMount(v)) return data;
    const n = this.#active.get(name) ?? 0;
    if (n === 0 && !(await isMountPoint(data))) {
      const o = v.Options ?? {};
      const args = ['-t', o.type || 'none', ...(o.o ? ['-o', o.o] : []), o.device ?? '', data];
      try {
        await execCommand('mount', args);
      } catch (err) {
        const why = ((err as { stderr?: string }).stderr ?? messageOf(err)).trim().replace(/password=[^,\s]*/g, 'password=********');
        throw new System(`error while mounting volume '${data}': failed to mount local volume: ${why}`, { cause: err });
      }
    }
    this.#active.set(name, n + 1);
    return data;
  }

  /** Drops one mount reference; the last one unmounts the volume's filesystem. */
  async unmount(name: string): Promise<void> {
    const v = this.#volumes.get(name);
    if (v === undefined || !needsMount(v)) return;
    const n = (this.#active.get(name) ?? 0) - 1;
    if (n > 0) {
      this.#active.set(name, n);
      return;
    }
    this.#active.delete(name);
    await this.#umount(this.dataPath(name));
  }

  /** A container still running after a daemon restart holds its mount: count it again. */
  restoreMount(name: string): void {
    const v = this.#volumes.get(name);
    if (v !== undefined && needsMount(v)) this.#active.set(name, (this.#active.get(name) ?? 0) + 1);
  }

  async #umount(path: string): Promise<void> {
    if (!(await isMountPoint(path))) return;
    try {
      await execCommand('umount', [path]);
    } catch (err) {
      throw new System(`umount ${path}: ${((err as { stderr?: string }).stderr ?? messageOf(err)).trim()}`, { cause: err });
    }
  }
}
