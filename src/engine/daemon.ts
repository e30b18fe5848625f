import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isErrno } from '../errdefs/index.js';
import { ImageService } from '../image/service.js';
import { Puller } from '../image/pull.js';
import { Pusher } from '../image/push.js';
import { Registries } from '../distribution/registry/registry.js';
import type { Mirror } from '../distribution/registry/endpoint.js';
import { LeaseStore } from '../store/metadata/leases.js';
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
import { volumeRoutes } from '../server/routers/volumes.js';
import { VolumeService } from '../volume/service.js';
import { ContainerMounts } from './mounts.js';
import { buildRoutes } from '../server/routers/build.js';
import { BuildCache } from '../build/cache.js';
import { BuildService } from '../build/service.js';
import { parseTagTarget } from '../image/lookup.js';
import { createBuildBackend, sweepImageRoots } from './build-backend.js';
import type { HostConfig } from '../api/containers.js';
import type { ContainerConfig } from '../oci/image.js';
import { ContainerFsService } from './container-fs.js';
import { etcFileBinds } from './container-spec.js';
import { ContainerStore } from '../container/store.js';
import type { LogConfig } from '../api/containers.js';
import { Conmon } from '../runtime/conmon.js';
import { CliRuntime } from '../runtime/oci-runtime.js';
import { ensureHugetlbV1 } from '../runtime/host.js';
import { loadSeccompProfile, type DockerSeccompProfile } from '../oci/seccomp-profile.js';
import { chainIds } from '../store/layers/store.js';
import { EventBus, streamEvents } from './events.js';
import { ContainerService, dirSize } from './containers.js';
import { ExecService } from './exec.js';
import { SystemService } from './system.js';
import { NetworkService } from './networks.js';
import { networkRoutes } from '../server/routers/networks.js';
import { NetworkStore } from '../network/store.js';
import { Netavark } from '../network/netavark.js';
import { hostPrefixes } from '../network/host-routes.js';
import { isRunning } from '../container/container.js';

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
  /** netavark and aardvark-dns binaries, the default bridge's name and `--bip`. */
  network?: { netavark: string; aardvarkDns: string; bridgeName: string; bip?: string };
  /** Registry client settings (`--insecure-registry`, `--max-concurrent-downloads` …). */
  registry?: RegistryConfig;
}

export interface RegistryConfig {
  insecureRegistries?: string[];
  /** certs.d roots for per-registry CAs and client certificates (hidden `--certs-d`; default Docker's and estiba's). */
  certsDirs?: string[];
  /** `--registry-mirror`, parsed: pulls try these first. */
  mirrors?: Mirror[];
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
  maxDownloadAttempts?: number;
}

export interface Daemon {
  routes: Route[];
  images: ImageService;
  containers: ContainerService;
  networks: NetworkService;
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
  const volumes: VolumeService = new VolumeService({
    root: join(o.dataRoot, 'volumes'),
    logger: o.logger,
    emit: (action, name, attrs) => events.publish('volume', action, name, attrs),
    // Containers' mount points (and creates under way) are the volumes' references.
    references: (name): string[] => mounts.references(name),
    size: dirSize,
  });
  const mounts: ContainerMounts = new ContainerMounts({
    volumes,
    findContainer: (ref) => containerStore.get(ref),
    containers: () => containerStore.list(),
    logger: o.logger,
    emit: (action, name, attrs) => events.publish('volume', action, name, attrs),
  });
  // Containers are loaded first: image GC at images.init() must see the layers they hold.
  await Promise.all([content.init(), layers.init(), meta.init(), containerStore.init(), volumes.init()]);
  const leases = new LeaseStore(join(o.dataRoot, 'image', 'leases'));
  await leases.init();
  const registries = new Registries({
    insecureRegistries: o.registry?.insecureRegistries ?? [],
    ...(o.registry?.certsDirs ? { certsDirs: o.registry.certsDirs } : {}),
    mirrors: o.registry?.mirrors ?? [],
    userAgent: `estiba/${o.version} go/none git-commit/${o.gitCommit} os/linux arch/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    logger: o.logger,
  });
  const hostArch = process.arch === 'x64' ? 'amd64' : process.arch;
  let containers: ContainerService | undefined;
  const images = new ImageService({
    content,
    layers,
    meta,
    leases,
    registry: {
      registries,
      puller: new Puller({
        content,
        layers,
        leases,
        registries,
        logger: o.logger,
        maxConcurrentDownloads: o.registry?.maxConcurrentDownloads ?? 3,
        maxDownloadAttempts: o.registry?.maxDownloadAttempts ?? 5,
        defaultPlatform: { os: 'linux', architecture: hostArch },
      }),
      pusher: new Pusher({ content, registries, logger: o.logger, maxConcurrentUploads: o.registry?.maxConcurrentUploads ?? 5 }),
    },
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
  const networkOpts = o.network ?? { netavark: 'netavark', aardvarkDns: 'aardvark-dns', bridgeName: 'estiba0' };
  const networks = new NetworkService({
    store: new NetworkStore(join(o.dataRoot, 'network'), o.logger),
    netavark: new Netavark({ binary: networkOpts.netavark, aardvarkBinary: networkOpts.aardvarkDns, configDir: join(o.execRoot, 'netavark') }),
    containers: {
      get: (ref) => containerStore.get(ref),
      find: (ref) => containerStore.find(ref),
      list: () => containerStore.list(),
      dir: (id) => containerStore.dir(id),
      isRunning: (c) => isRunning(c),
    },
    execRoot: o.execRoot,
    bridgeName: networkOpts.bridgeName,
    ...(networkOpts.bip !== undefined ? { bip: networkOpts.bip } : {}),
    hostPrefixes,
    emit: (action, id, attrs) => events.publish('network', action, id, attrs),
    logger: o.logger,
  });
  await networks.init();
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
    network: networks,
    execIds: (id) => execs?.idsOf(id) ?? null,
    probe: (id, argv, timeoutMs) => {
      if (execs === undefined) return Promise.resolve({ exitCode: -1, output: 'exec is not ready' });
      return execs.probe(id, argv, timeoutMs);
    },
    ...(o.logConfig !== undefined ? { logConfig: o.logConfig } : {}),
    mounts,
  });
  const containerService = containers;
  execs = new ExecService({
    containers: containerService,
    logger: o.logger,
    emit: (action, c, attrs) => events.publish('container', action, c.ID, { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? '', name: c.Name.slice(1), ...attrs }),
  });
  const containerFs = new ContainerFsService({
    containers: containerService,
    withVolumes: (c, merged, fn) => mounts.withVolumesMounted(c, merged, fn, etcFileBinds(containerStore.dir(c.ID))),
    images,
    emit: (action, c, attrs) => events.publish('container', action, c.ID, { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? '', name: c.Name.slice(1), ...attrs }),
  });
  await containers.reconcile();
  await networks.reconcile();
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
    volumesUsage: () => volumes.diskUsage(),
    // As GET /containers/json?all=1&size=1: one summary per container with its sizes.
    containersUsage: async () => Promise.all(containerService.list({ all: true }).map(async (c) => ({ ...c, ...(await containerService.sizes(c.Id)) }))),
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
    ...networkRoutes(networks),
    ...execRoutes(execs),
    ...volumeRoutes(volumes),
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
    networks,
    events,
    async close() {
      // Stores write through; nothing is buffered that needs flushing.
      registries.close();
      await containerService.close();
    },
  };
}
