/**
 * VolumeService: named and anonymous volumes over the local driver, as the volumes router and
 * the container mounts need them (moby daemon/volume/service).
 *
 * References: a volume is in use while any container (running or not) has a mount point on it;
 * the service asks `references(name)` instead of keeping counts, so the container store is the
 * one source of truth and nothing needs restoring after a daemon restart.
 *
 * Errors use Docker's words, prefixed with the operation and the name (moby OpErr):
 * `get x: no such volume` (NotFound), `remove x: volume is in use - [ids]` (Conflict),
 * `create x: "x" includes invalid characters …` (InvalidParameter).
 *
 * Concurrency: create and remove of one name are serialised by a keyed mutex.
 */
import { randomBytes } from 'node:crypto';
import type { Filters } from '../api/types.js';
import type { Volume, VolumeCreateOptions, VolumeListResponse, VolumePruneResponse } from '../api/volumes.js';
import { Conflict, EstibaError, InvalidParameter, NotFound, kindOf, messageOf } from '../errdefs/index.js';
import type { Logger } from '../util/logger.js';
import { KeyedMutex } from '../util/mutex.js';
import { ANONYMOUS_LABEL, LOCAL_DRIVER, LocalDriver, validateDriverOpts, validateVolumeName, type LocalVolume } from './local.js';

export interface VolumeServiceOptions {
  /** `<data-root>/volumes`. */
  root: string;
  logger: Logger;
  emit: (action: string, name: string, attributes: Record<string, string>) => void;
  /** IDs of the containers that have a mount point on the volume, in any state. */
  references: (name: string) => string[];
  /** Bytes under a directory (Docker's directory.Size). */
  size: (path: string) => Promise<number>;
  now?: () => Date;
}

/** Docker's OpErr wording: `<op> <name>: <cause>`, keeping the cause's kind. */
function opError(op: string, name: string, err: unknown): Error {
  const msg = `${op} ${name}: ${messageOf(err)}`;
  const kind = kindOf(err);
  return kind === undefined ? new Error(msg, { cause: err }) : new EstibaError(kind, msg, { cause: err });
}

function parseBool(key: string, values: readonly string[]): boolean {
  const v = values[0]!.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidParameter(`invalid filter '${key}=${values.join(',')}'`);
}

function matchLabels(labels: Record<string, string> | null, want: readonly string[]): boolean {
  const l = labels ?? {};
  return want.every((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? w in l : l[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** moby filters.Args.Match: an exact name, or a regular expression that matches part of it. */
function matchName(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    if (p === name) return true;
    try {
      return new RegExp(p).test(name);
    } catch (err) {
      void err; // Not a valid expression: it can only match exactly, and did not.
      return false;
    }
  });
}

/** Go marshals maps with sorted keys; clients that compare JSON see the same bytes. */
function sortedMap(m: Record<string, string> | null): Record<string, string> | null {
  return m === null ? null : Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export class VolumeService {
  readonly #o: VolumeServiceOptions;
  readonly #driver: LocalDriver;
  readonly #lock = new KeyedMutex();
  #pruning = false;

  constructor(o: VolumeServiceOptions) {
    this.#o = o;
    this.#driver = new LocalDriver({ root: o.root, logger: o.logger });
  }

  init(): Promise<void> {
    return this.#driver.init();
  }

  get #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }

  #toApi(v: LocalVolume): Volume {
    return {
      CreatedAt: v.CreatedAt,
      Driver: LOCAL_DRIVER,
      Labels: sortedMap(v.Labels),
      Mountpoint: this.#driver.dataPath(v.Name),
      Name: v.Name,
      Options: sortedMap(v.Options),
      Scope: 'local',
    };
  }

  /**
   * Creates a volume; with no name, an anonymous one (64 hex digits, Docker's anonymous label).
   * Creating a name that exists returns the existing volume.
   */
  async create(o: VolumeCreateOptions = {}): Promise<Volume> {
    const anonymous = o.Name === undefined || o.Name === '';
    const name = anonymous ? randomBytes(32).toString('hex') : o.Name!;
    const driver = o.Driver === undefined || o.Driver === '' ? LOCAL_DRIVER : o.Driver;
    if (driver !== LOCAL_DRIVER) throw opError('create', name, new NotFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`));
    const options = o.DriverOpts ?? null;
    try {
      validateVolumeName(name);
      if (options !== null) validateDriverOpts(options);
    } catch (err) {
      throw opError('create', name, err);
    }
    const labels = anonymous ? { ...(o.Labels ?? {}), [ANONYMOUS_LABEL]: '' } : (o.Labels ?? null);
    return this.#lock.run(name, async () => {
      const existed = this.#driver.get(name) !== undefined;
      let v: LocalVolume;
      try {
        v = await this.#driver.create(name, { labels, options, now: this.#now });
      } catch (err) {
        throw opError('create', name, err);
      }
      if (!existed) this.#o.emit('create', name, { driver: LOCAL_DRIVER });
      return this.#toApi(v);
    });
  }

  #get(name: string): LocalVolume {
    const v = this.#driver.get(name);
    if (v === undefined) throw new NotFound(`get ${name}: no such volume`);
    return v;
  }

  get(name: string): Volume {
    return this.#toApi(this.#get(name));
  }

  has(name: string): boolean {
    return this.#driver.get(name) !== undefined;
  }

  /** `GET /volumes` (filters: dangling, name, driver, label), sorted by name. */
  list(filters: Filters = new Map()): VolumeListResponse {
    for (const k of filters.keys()) {
      if (!['dangling', 'name', 'driver', 'label'].includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    }
    const dangling = filters.get('dangling');
    const wantDangling = dangling !== undefined && dangling.length > 0 ? parseBool('dangling', dangling) : undefined;
    const names = filters.get('name') ?? [];
    const drivers = filters.get('driver') ?? [];
    const labels = filters.get('label') ?? [];
    const vols = this.#driver
      .list()
      .filter((v) => names.length === 0 || matchName(v.Name, names))
      .filter((v) => drivers.length === 0 || drivers.includes(LOCAL_DRIVER))
      .filter((v) => matchLabels(v.Labels, labels))
      .filter((v) => wantDangling === undefined || (this.#o.references(v.Name).length === 0) === wantDangling)
      .sort((a, b) => a.Name.localeCompare(b.Name));
    return { Volumes: vols.map((v) => this.#toApi(v)), Warnings: null };
  }

  /** Removes a volume no container uses; `force` makes a missing one a success. */
  async remove(name: string, o: { force?: boolean } = {}): Promise<void> {
    await this.#lock.run(name, async () => {
      if (this.#driver.get(name) === undefined) {
        if (o.force === true) return;
        throw new NotFound(`get ${name}: no such volume`);
      }
      const refs = this.#o.references(name);
      if (refs.length > 0) throw new Conflict(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
      try {
        await this.#driver.remove(name);
      } catch (err) {
        throw opError('remove', name, err);
      }
      this.#o.emit('destroy', name, { driver: LOCAL_DRIVER });
    });
  }

  /**
   * Removes unused local volumes without driver options (those hold no local data): only the
   * anonymous ones unless `all=true` (API 1.42+; the router adds `all` for older clients).
   */
  async prune(filters: Filters = new Map()): Promise<VolumePruneResponse> {
    for (const k of filters.keys()) {
      if (!['label', 'label!', 'all'].includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    }
    const all = filters.get('all') ?? [];
    if (all.length > 1) throw new InvalidParameter(`invalid filter 'all=[${all.join(' ')}]': only one value is expected`);
    let pruneAll = false;
    if (all.length === 1) {
      const v = all[0]!.toLowerCase();
      if (['1', 't', 'true'].includes(v)) pruneAll = true;
      else if (!['0', 'f', 'false'].includes(v)) throw new InvalidParameter(`invalid filter 'all': strconv.ParseBool: parsing "${all[0]!}": invalid syntax`);
    }
    const labels = [...(filters.get('label') ?? []), ...(pruneAll ? [] : [ANONYMOUS_LABEL])];
    const notLabels = filters.get('label!') ?? [];
    if (this.#pruning) throw new Conflict('a prune operation is already running');
    this.#pruning = true;
    try {
      const deleted: string[] = [];
      let reclaimed = 0;
      for (const v of this.#driver.list()) {
        if (v.Options !== null && Object.keys(v.Options).length > 0) continue;
        if (!matchLabels(v.Labels, labels)) continue;
        if (notLabels.length > 0 && notLabels.some((l) => matchLabels(v.Labels, [l]))) continue;
        if (this.#o.references(v.Name).length > 0) continue;
        const size = await this.#o.size(this.#driver.dataPath(v.Name)).catch(() => 0);
        try {
          await this.remove(v.Name);
        } catch (err) {
          this.#o.logger.warn('prune: could not remove volume', { volume: v.Name, err: messageOf(err) });
          continue;
        }
        deleted.push(v.Name);
        reclaimed += size;
      }
      this.#o.emit('prune', '', { reclaimed: String(reclaimed) });
      return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
    } finally {
      this.#pruning = false;
    }
  }

  /** `/system/df`: local volumes without driver options, with their size and reference count. */
  async diskUsage(): Promise<Volume[]> {
    const out: Volume[] = [];
    for (const v of this.#driver.list().sort((a, b) => a.Name.localeCompare(b.Name))) {
      if (v.Options !== null && Object.keys(v.Options).length > 0) continue;
      const size = await this.#o.size(this.#driver.dataPath(v.Name)).catch(() => -1);
      out.push({ ...this.#toApi(v), UsageData: { Size: size, RefCount: this.#o.references(v.Name).length } });
    }
    return out;
  }

  /** The host path a container binds for the volume, its filesystem mounted if it has one. */
  mount(name: string): Promise<string> {
    this.#get(name);
    return this.#driver.mount(name);
  }

  async unmount(name: string): Promise<void> {
    await this.#driver.unmount(name).catch((err: unknown) => this.#o.logger.warn('volume unmount failed', { volume: name, err: messageOf(err) }));
  }

  /** After a daemon restart, a running container's mount of the volume counts again. */
  restoreMount(name: string): void {
    this.#driver.restoreMount(name);
  }
}
