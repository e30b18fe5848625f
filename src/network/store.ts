/**
 * Network records, per-container network state and IP leases as JSON files under
 * `<dataRoot>/network/`: `networks/<id>.json`, `containers/<containerId>.json` and
 * `leases/<networkId>.json` (address → container ID). Every file is written atomically, so a
 * crash leaves the old or the new version; all of it is read into memory at init and written
 * through. Callers serialise mutations (NetworkService holds one lock for them).
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errdefs/index.js';
import { TEMP_PREFIX, writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/logger.js';
import type { ContainerNetworkState, NetworkRecord } from './types.js';

type Leases = Record<string, string>;

async function readJsonDir<T>(dir: string, logger: Logger): Promise<Map<string, T>> {
  await mkdir(dir, { recursive: true });
  const out = new Map<string, T>();
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    if (name.startsWith(TEMP_PREFIX)) {
      await rm(p, { force: true });
      continue;
    }
    if (!name.endsWith('.json')) continue;
    try {
      out.set(name.slice(0, -5), JSON.parse(await readFile(p, 'utf8')) as T);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) continue;
      // Atomic writes make this a foreign or damaged file: keep the daemon up, say so.
      logger.warn('network store: unreadable record skipped', { path: p, err: String(err) });
    }
  }
  return out;
}

export class NetworkStore {
  readonly #root: string;
  readonly #logger: Logger;
  #networks = new Map<string, NetworkRecord>();
  #containers = new Map<string, ContainerNetworkState>();
  #leases = new Map<string, Leases>();

  constructor(root: string, logger: Logger) {
    this.#root = root;
    this.#logger = logger;
  }

  async init(): Promise<void> {
    this.#networks = await readJsonDir<NetworkRecord>(join(this.#root, 'networks'), this.#logger);
    this.#containers = await readJsonDir<ContainerNetworkState>(join(this.#root, 'containers'), this.#logger);
    this.#leases = await readJsonDir<Leases>(join(this.#root, 'leases'), this.#logger);
  }

  // ---- networks ----

  networks(): NetworkRecord[] {
    return [...this.#networks.values()];
  }

  network(id: string): NetworkRecord | undefined {
    return this.#networks.get(id);
  }

  async saveNetwork(n: NetworkRecord): Promise<void> {
    await writeFileAtomic(join(this.#root, 'networks', `${n.Id}.json`), JSON.stringify(n, null, 1));
    this.#networks.set(n.Id, n);
  }

  async deleteNetwork(id: string): Promise<void> {
    await rm(join(this.#root, 'leases', `${id}.json`), { force: true });
    this.#leases.delete(id);
    await rm(join(this.#root, 'networks', `${id}.json`), { force: true });
    this.#networks.delete(id);
  }

  // ---- containers ----

  containers(): ContainerNetworkState[] {
    return [...this.#containers.values()];
  }

  container(id: string): ContainerNetworkState | undefined {
    return this.#containers.get(id);
  }

  async saveContainer(s: ContainerNetworkState): Promise<void> {
    await writeFileAtomic(join(this.#root, 'containers', `${s.ContainerID}.json`), JSON.stringify(s, null, 1));
    this.#containers.set(s.ContainerID, s);
  }

  async deleteContainer(id: string): Promise<void> {
    await rm(join(this.#root, 'containers', `${id}.json`), { force: true });
    this.#containers.delete(id);
  }

  // ---- leases ----

  leases(networkId: string): Readonly<Leases> {
    return this.#leases.get(networkId) ?? {};
  }

  async setLeases(networkId: string, leases: Leases): Promise<void> {
    await writeFileAtomic(join(this.#root, 'leases', `${networkId}.json`), JSON.stringify(leases));
    this.#leases.set(networkId, leases);
  }
}
