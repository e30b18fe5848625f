/**
 * Containers on disk: `<root>/<id>/config.v2.json` (the record without HostConfig) and
 * `<root>/<id>/hostconfig.json`, each written atomically; plus the name and ID index in memory.
 *
 * A container directory without a readable config.v2.json was never completely created (the
 * record is written last by create): init() removes it. Lookups follow Docker: a full ID, then a
 * name (with or without the slash), then a unique ID prefix.
 *
 * Concurrency: the store itself is synchronous in memory; the engine serialises mutations of
 * one container with its own keyed mutex and calls save() after each state change.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, InvalidParameter, NotFound, isErrno } from '../errdefs/index.js';
import { TEMP_PREFIX, writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/logger.js';
import type { ContainerRecord } from './container.js';

const ID_RE = /^[a-f0-9]{64}$/;
/** A removed container's directory, waiting to be emptied (see delete). */
const TRASH_PREFIX = '.removed-';

export class ContainerStore {
  readonly root: string;
  readonly #logger: Logger;
  readonly #byId = new Map<string, ContainerRecord>();
  /** `/name` → id; reserved before the record exists so two creates cannot take one name. */
  readonly #names = new Map<string, string>();
  /** What this store last wrote per container: hostconfig.json, and config.v2.json less State. */
  readonly #written = new Map<string, { host: string; config: string }>();

  constructor(root: string, logger: Logger) {
    this.root = root;
    this.#logger = logger;
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o710 });
    for (const name of await readdir(this.root)) {
      const dir = join(this.root, name);
      if (name.startsWith(TEMP_PREFIX)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      if (!ID_RE.test(name)) continue;
      let rec: ContainerRecord;
      try {
        rec = JSON.parse(await readFile(join(dir, 'config.v2.json'), 'utf8')) as ContainerRecord;
        rec.HostConfig = JSON.parse(await readFile(join(dir, 'hostconfig.json'), 'utf8')) as ContainerRecord['HostConfig'];
      } catch (err) {
        if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
        // create() writes the record last: without one the container never existed for clients.
        this.#logger.warn('removing incomplete container directory', { id: name, err: String(err) });
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      this.#byId.set(rec.ID, rec);
      this.#names.set(rec.Name, rec.ID);
    }
  }

  list(): ContainerRecord[] {
    return [...this.#byId.values()];
  }

  /** Reserves `/name` for `id`; Conflict with Docker's message when another container has it. */
  reserveName(name: string, id: string): void {
    const owner = this.#names.get(name);
    if (owner !== undefined && owner !== id) {
      throw new Conflict(
        `Conflict. The container name "${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.#names.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.#names.get(name) === id) this.#names.delete(name);
  }

  hasName(name: string): boolean {
    return this.#names.has(name);
  }

  /** Full ID, then name, then unique ID prefix; NotFound `No such container: x`. */
  get(ref: string): ContainerRecord {
    const c = this.find(ref);
    if (c === undefined) throw new NotFound(`No such container: ${ref}`);
    return c;
  }

  find(ref: string): ContainerRecord | undefined {
    if (ref === '') return undefined;
    const byId = this.#byId.get(ref);
    if (byId) return byId;
    const id = this.#names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (id !== undefined) {
      const c = this.#byId.get(id);
      if (c) return c;
    }
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = [...this.#byId.keys()].filter((k) => k.startsWith(ref));
    if (matches.length > 1) throw new InvalidParameter(`Multiple IDs found with provided prefix: ${ref}`);
    return matches.length === 1 ? this.#byId.get(matches[0]!) : undefined;
  }

  /**
   * Writes both files atomically (hostconfig first: a record on disk always has its hostconfig).
   * Only what changed since this store last wrote it is written, and a change of State alone
   * (start, exit, health: several per `run --rm`) is not fsynced: after a power loss nothing
   * runs any more and start-up reconciles State from conmon's files; the rest stays durable.
   */
  async save(c: ContainerRecord): Promise<void> {
    const dir = this.dir(c.ID);
    await mkdir(dir, { recursive: true, mode: 0o710 });
    const { HostConfig, ...rest } = c;
    const config: Partial<typeof rest> = { ...rest };
    delete config.State;
    const host = JSON.stringify(HostConfig);
    const configJson = JSON.stringify(config);
    const prev = this.#written.get(c.ID);
    // The two files at once: each is replaced whole (temp + rename), so their order does not matter.
    await Promise.all([
      prev?.host !== host ? writeFileAtomic(join(dir, 'hostconfig.json'), host) : undefined,
      writeFileAtomic(join(dir, 'config.v2.json'), JSON.stringify(rest), 0o644, { durable: prev?.config !== configJson }),
    ]);
    this.#written.set(c.ID, { host, config: configJson });
    this.#byId.set(c.ID, c);
    this.#names.set(c.Name, c.ID);
  }

  /**
   * Forgets the container and moves its directory out of the store with one rename; the caller
   * empties the returned directory (its rootfs may still be mounted: unmount before deleting)
   * and finds leftovers of a crash with {@link ContainerStore.trash}. Undefined when there was
   * no directory.
   */
  async delete(c: ContainerRecord): Promise<string | undefined> {
    this.#byId.delete(c.ID);
    this.#written.delete(c.ID);
    this.releaseName(c.Name, c.ID);
    const trash = join(this.root, `${TRASH_PREFIX}${c.ID}`);
    try {
      await rename(this.dir(c.ID), trash);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    return trash;
  }

  /** Directories of removed containers not emptied yet (the daemon stopped first). */
  async trash(): Promise<string[]> {
    return (await readdir(this.root)).filter((n) => n.startsWith(TRASH_PREFIX)).map((n) => join(this.root, n));
  }
}
