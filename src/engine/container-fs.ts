/**
 * A container's filesystem from outside: `docker cp` both ways (archive GET/HEAD/PUT),
 * `docker diff`, `docker export` and `docker commit`. Everything works on running and stopped
 * containers alike: a stopped one gets its overlay mounted for the call (ContainerService's
 * withRootfs). Paths from clients are resolved inside the root (rootfs-archive.ts) and then used
 * by their host path, so every operation that reads or writes through the merged or upper dir
 * runs with a running container frozen: none of its processes can swap a resolved directory for
 * a symlink that leads out of the root meanwhile (docs/adr/0014-cp-freeze.md).
 */
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { ContainerRecord } from '../container/container.js';
import type { RootfsPaths } from '../container/rootfs.js';
import { InvalidParameter, NotFound, isConflict, isNotFound } from '../errdefs/index.js';
import type { ContainerConfig } from '../oci/image.js';
import type { Digest } from '../util/digest.js';
import type { CommitOptions as ImageCommitOptions } from '../image/service.js';
import { resolveUser } from './container-spec.js';
import { extractInRoot, lstatOrUndefined, packTo, packTree, statInRoot, type PathStat } from './rootfs-archive.js';
import { packLayer, upperChanges } from './rootfs-changes.js';

export interface ContainerFsContainers {
  /** `freeze`: a running container's processes are frozen (not paused in its State) for the call. */
  withRootfs<T>(ref: string, fn: (c: ContainerRecord, rootfs: RootfsPaths, lowers: string[]) => Promise<T>, o?: { freeze?: boolean }): Promise<T>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
}

export interface ContainerFsImages {
  commit(o: ImageCommitOptions): Promise<Digest>;
}

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  pause?: boolean;
  config?: ContainerConfig;
}

/** Runs `fn` with the container's binds and volumes mounted into its merged root (engine/mounts.ts). */
export type WithVolumes = <T>(c: ContainerRecord, merged: string, fn: () => Promise<T>) => Promise<T>;

export class ContainerFsService {
  readonly #containers: ContainerFsContainers;
  readonly #images: ContainerFsImages;
  readonly #emit: (action: string, c: ContainerRecord, attrs: Record<string, string>) => void;
  readonly #withVolumes: WithVolumes;

  constructor(o: {
    containers: ContainerFsContainers;
    images: ContainerFsImages;
    emit: (action: string, c: ContainerRecord, attrs: Record<string, string>) => void;
    withVolumes?: WithVolumes;
  }) {
    this.#containers = o.containers;
    this.#images = o.images;
    this.#emit = o.emit;
    this.#withVolumes = o.withVolumes ?? ((_c, _m, fn) => fn());
  }

  /**
   * `docker cp` sees the container's volumes and binds as the container does (Docker mounts them
   * for the copy); diff, export and commit work on the root filesystem alone, without them.
   */
  #withRootfsAndVolumes<T>(ref: string, fn: (c: ContainerRecord, rp: RootfsPaths) => Promise<T>): Promise<T> {
    return this.#containers.withRootfs(ref, (c, rp) => this.#withVolumes(c, rp.merged, () => fn(c, rp)), { freeze: true });
  }

  /** HEAD archive: the path's stat; NotFound with Docker's words when it is missing. */
  statPath(ref: string, path: string): Promise<PathStat> {
    return this.#withRootfsAndVolumes(ref, async (_c, rp) => (await this.#stat(ref, rp, path)).stat);
  }

  async #stat(ref: string, rp: RootfsPaths, path: string): Promise<{ stat: PathStat; resolved: string }> {
    if (path === '') throw new InvalidParameter('path cannot be empty');
    const s = await statInRoot(rp.merged, path);
    if (s === undefined) throw new NotFound(`Could not find the file ${path} in container ${ref}`);
    return s;
  }

  /** GET archive: `respond` gets the stat (for the header) and then writes the tar to its stream. */
  archive(ref: string, path: string, respond: (stat: PathStat) => Writable): Promise<void> {
    return this.#withRootfsAndVolumes(ref, async (c, rp) => {
      const { stat, resolved } = await this.#stat(ref, rp, path);
      await packTo(respond(stat), (p) => packTree(p, join(rp.merged, resolved), stat.name === '/' ? '.' : stat.name));
      this.#emit('archive-path', c, { path });
    });
  }

  /** PUT archive: extracts a tar into the directory `path`. */
  extract(ref: string, path: string, input: Readable, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal }): Promise<void> {
    return this.#withRootfsAndVolumes(ref, async (c, rp) => {
      const { stat, resolved } = await this.#stat(ref, rp, path);
      const dir = stat.linkTarget !== '' ? stat.linkTarget : resolved;
      const st = await lstatOrUndefined(join(rp.merged, dir));
      if (st === undefined || !st.isDirectory()) throw new InvalidParameter('extraction point is not a directory');
      const chown = o.copyUIDGID ? await resolveUser(rp.merged, c.Config.User ?? '') : undefined;
      await extractInRoot({
        root: rp.merged,
        dir,
        input,
        noOverwriteDirNonDir: o.noOverwriteDirNonDir,
        ...(chown ? { chown: { uid: chown.uid, gid: chown.gid } } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      this.#emit('extract-to-dir', c, { path });
    });
  }

  /**
   * `docker diff`: Kind 0 changed, 1 added, 2 deleted; null when nothing changed (as Docker).
   * Frozen: the walk lists directories of the upper dir by host path (a swapped one would list the host's).
   */
  changes(ref: string): Promise<{ Path: string; Kind: number }[] | null> {
    return this.#containers.withRootfs(ref, async (_c, rp, lowers) => {
      const list = (await upperChanges(rp.upper, lowers)).map((e) => ({ Path: e.path, Kind: e.kind }));
      return list.length > 0 ? list : null;
    }, { freeze: true });
  }

  /** `docker export`: the merged root filesystem as a tar; frozen, as it reads every file by host path. */
  export(ref: string, out: () => Writable): Promise<void> {
    return this.#containers.withRootfs(ref, async (c, rp) => {
      await packTo(out(), (p) => packTree(p, rp.merged, ''));
      this.#emit('export', c, {});
    }, { freeze: true });
  }

  /**
   * `docker commit`: the upper dir becomes a new layer on the container's image. By default a
   * running container is paused for it as `docker pause` would (State and events, as moby's
   * commit does), before its lock is taken for the read; `pause=false` reads it while it runs.
   */
  async commit(ref: string, o: CommitOptions): Promise<{ Id: Digest }> {
    let paused = false;
    if (o.pause !== false) {
      try {
        await this.#containers.pause(ref);
        paused = true;
      } catch (err) {
        if (!isConflict(err)) throw err; // not running, or paused already: read as it is
      }
    }
    let id: Digest;
    try {
      id = await this.#containers.withRootfs(ref, async (c, rp, lowers) => {
        const changes = await upperChanges(rp.upper, lowers, { capabilities: true });
        const config: ContainerConfig = { ...c.Config, ...(o.config ?? {}) };
        const imageId = await this.#images.commit({
          parent: c.Image,
          layer: (outStream) => packTo(outStream, async (p) => void (await packLayer(p, rp.upper, changes))),
          config,
          containerId: c.ID,
          containerConfig: c.Config,
          createdBy: (c.Config.Cmd ?? []).join(' '),
          ...(o.repo !== undefined ? { repo: o.repo } : {}),
          ...(o.tag !== undefined ? { tag: o.tag } : {}),
          ...(o.comment !== undefined ? { comment: o.comment } : {}),
          ...(o.author !== undefined ? { author: o.author } : {}),
          ...(o.changes !== undefined ? { changes: o.changes } : {}),
        });
        this.#emit('commit', c, { comment: o.comment ?? '', imageID: imageId, imageRef: o.repo ? `${o.repo}:${o.tag || 'latest'}` : '' });
        return imageId;
      }, { freeze: o.pause !== false }); // a no-op when paused above; covers an unpause meanwhile
    } finally {
      if (paused) {
        await this.#containers.unpause(ref).catch((err: unknown) => {
          if (!isConflict(err) && !isNotFound(err)) throw err; // unpaused or gone meanwhile
        });
      }
    }
    return { Id: id };
  }
}
