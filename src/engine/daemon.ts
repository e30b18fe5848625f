import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isErrno } from '../errdefs/index.js';
import { ImageService } from '../image/service.js';
import { ContentStore } from '../store/content/store.js';
import { LayerStore } from '../store/layers/store.js';
import { ImageMetadataStore } from '../store/metadata/images.js';
import { TEMP_PREFIX, writeFileAtomic } from '../util/atomic-file.js';
import type { Logger } from '../util/logger.js';
import type { Route } from '../server/context.js';
import { systemRoutes } from '../server/routers/system.js';
import { imageRoutes } from '../server/routers/images.js';
import { containerRoutes } from '../server/routers/containers.js';
import { execRoutes } from '../server/routers/exec.js';
import { containerFsRoutes } from '../server/routers/container-fs.js';
import { buildRoutes } from '../server/routers/build.js';
import { BuildCache } from '../build/cache.js';
import { BuildService } from '../build/service.js';
import { parseTagTarget } from '../image/lookup.js';
import { createBuildBackend, sweepImageRoots } from './build-backend.js';
import type { HostConfig } from '../api/containers.js';
import type { ContainerConfig } from '../oci/image.js';
import { ContainerFsService } from './container-fs.js';
import { ContainerStore } from '../container/store.js';
import type { LogConfig } from '../api/containers.js';
import { Conmon } from '../runtime/conmon.js';
import { CliRuntime } from '../runtime/oci-runtime.js';
import { ensureHugetlbV1 } from '../runtime/host.js';
import { loadSeccompProfile, type DockerSeccompProfile } from '../oci/seccomp-profile.js';
import { chainIds } from '../store/layers/store.js';
import { EventBus, streamEvents } from './events.js';
import { ContainerService } from './containers.js';
import { ExecService } from './exec.js';
import { SystemService } from './system.js';

export const API_VERSION = '1.45';
export const MIN_API_VERSION = '1.24';

export interface DaemonOptions {
  dataRoot: string;
  execRoot: string;
  logger: Logger;
  version: string;
  gitCommit: string;
  runtimes: Record<string, { path: string }>;
  defaultRuntime: string;
  debug: boolean;
  /** `--log-driver` / `--log-opt`: containers' default logging (see container/log-config.ts). */
  logConfig?: LogConfig;
}

export interface Daemon {
  routes: Route[];
  images: ImageService;
  containers: ContainerService;
  events: EventBus;
  close(): Promise<void>;
}

async function daemonId(dataRoot: string): Promise<string> {
  const path = join(dataRoot, 'engine-id');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const id = randomUUID();
  await writeFileAtomic(path, id);
  return id;
}

/** The composition root of the engine: stores, services and the routes over them. */
export async function createDaemon(o: DaemonOptions): Promise<Daemon> {
  await mkdir(o.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(o.execRoot, { recursive: true, mode: 0o700 });
  // Files of the data root itself (engine-id) are written through temp files: sweep a crash's.
  for (const name of await readdir(o.dataRoot)) {
    if (name.startsWith(TEMP_PREFIX)) await rm(join(o.dataRoot, name), { recursive: true, force: true });
  }
  const events = new EventBus();
  const content = new ContentStore(join(o.dataRoot, 'content'));
  const layers = new LayerStore(join(o.dataRoot, 'layers'));
  const meta = new ImageMetadataStore(join(o.dataRoot, 'image'));
  const containerStore = new ContainerStore(join(o.dataRoot, 'containers'), o.logger);
  // Containers are loaded first: image GC at images.init() must see the layers they hold.
  await Promise.all([content.init(), layers.init(), meta.init(), containerStore.init()]);
  let containers: ContainerService | undefined;
  const images = new ImageService({
    content,
    layers,
    meta,
    logger: o.logger,
    emit: (action, id, attrs) => events.publish('image', action, id, attrs),
    usage: {
      containersUsing: (imageId) => containers?.containersUsing(imageId) ?? [],
      layersInUse: () => new Set(containerStore.list().flatMap((c) => c.Layers)),
    },
  });
  await images.init();
  const monitors = new Map<string, Conmon>();
  for (const [name, r] of Object.entries(o.runtimes)) {
    monitors.set(name, new Conmon({ runtime: new CliRuntime(name, { path: r.path, execRoot: o.execRoot }), logger: o.logger }));
  }
  let seccomp: Promise<DockerSeccompProfile> | undefined;
  let execs: ExecService | undefined;
  containers = new ContainerService({
    store: containerStore,
    images: {
      resolve: (name) => images.resolve(name),
      config: (id) => images.config(id),
      chainIds,
      layerDir: (c) => layers.diffDir(c),
      size: async (id) => images.size(images.resolve(id)),
    },
    runtimes: monitors,
    defaultRuntime: o.defaultRuntime,
    execRoot: o.execRoot,
    logger: o.logger,
    emit: (action, id, attrs) => events.publish('container', action, id, attrs),
    seccompProfile: () => (seccomp ??= loadSeccompProfile()),
    prepareRuntime: async (name) => {
      if (name === 'crun') await ensureHugetlbV1();
    },
    execIds: (id) => execs?.idsOf(id) ?? null,
    probe: (id, argv, timeoutMs) => {
      if (execs === undefined) return Promise.resolve({ exitCode: -1, output: 'exec is not ready' });
      return execs.probe(id, argv, timeoutMs);
    },
    ...(o.logConfig !== undefined ? { logConfig: o.logConfig } : {}),
  });
  const containerService = containers;
  execs = new ExecService({
    containers: containerService,
    logger: o.logger,
    emit: (action, c, attrs) => events.publish('container', action, c.ID, { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? '', name: c.Name.slice(1), ...attrs }),
  });
  const containerFs = new ContainerFsService({
    containers: containerService,
    images,
    emit: (action, c, attrs) => events.publish('container', action, c.ID, { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? '', name: c.Name.slice(1), ...attrs }),
  });
  await containers.reconcile();
  await sweepImageRoots(join(o.dataRoot, 'builder', 'roots'));
  const builds = new BuildService({
    backend: createBuildBackend({ images, containers: containerService, layers, tmpDir: join(o.dataRoot, 'builder', 'roots'), logger: o.logger }),
    cache: new BuildCache(join(o.dataRoot, 'builder')),
    tmpDir: join(o.dataRoot, 'builder', 'tmp'),
    stepSize: async (id) => {
      const img = images.resolve(id);
      const top = images.topLayer(img);
      return top === undefined ? 0 : (await layers.mustGet(top)).size;
    },
  });
  await builds.init();
  const system = new SystemService({
    version: o.version,
    gitCommit: o.gitCommit,
    apiVersion: API_VERSION,
    minApiVersion: MIN_API_VERSION,
    dataRoot: o.dataRoot,
    daemonId: await daemonId(o.dataRoot),
    images,
    events,
    runtimes: o.runtimes,
    defaultRuntime: o.defaultRuntime,
    debug: o.debug,
    containerCounts: () => containerService.counts(),
    buildCache: () => builds.diskUsage(),
  });

  const backend = {
    version: () => system.version(),
    info: () => system.info(),
    diskUsage: (o: { withVirtualSize: boolean }) => system.diskUsage(o),
    events: (q: Parameters<typeof streamEvents>[1]) => streamEvents(events, q),
  };

  const routes: Route[] = [
    ...systemRoutes(backend, { apiVersion: API_VERSION, builderVersion: '1' }),
    ...imageRoutes(images),
    ...containerRoutes(containers),
    ...execRoutes(execs),
    ...buildRoutes({
      build: (input, opts, out) => builds.build(input, opts, out),
      prune: (x) => builds.prune(x),
      checkTag: (t) => void parseTagTarget(t, undefined),
    }),
    ...containerFsRoutes({
      statPath: (n, p) => containerFs.statPath(n, p),
      archive: (n, p, r) => containerFs.archive(n, p, r),
      extract: (n, p, i, x) => containerFs.extract(n, p, i, x),
      changes: (n) => containerFs.changes(n),
      export: (n, out) => containerFs.export(n, out),
      commit: (n, x) => containerFs.commit(n, { ...x, ...(x.config !== undefined ? { config: x.config as ContainerConfig } : {}) }),
      update: (n, body) => containerService.update(n, body as HostConfig),
    }),
  ];
  events.publish('daemon', 'start', system.version().Version === '' ? 'estiba' : await daemonId(o.dataRoot), { name: 'estiba' });
  return {
    routes,
    images,
    containers,
    events,
    async close() {
      // Stores write through; nothing is buffered that needs flushing.
    },
  };
}
