import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { SystemDfResponse, SystemVersion } from '../api/types.js';
import type { Volume } from '../api/volumes.js';
import type { ImageService } from '../image/service.js';
import type { EventBus } from './events.js';

export interface SystemInfoOptions {
  version: string;
  gitCommit: string;
  apiVersion: string;
  minApiVersion: string;
  dataRoot: string;
  daemonId: string;
  images: ImageService;
  events: EventBus;
  /** Names of OCI runtimes found, with their paths. */
  runtimes: Record<string, { path: string }>;
  defaultRuntime: string;
  debug: boolean;
  /** Container counts by state (none when the daemon has no container service). */
  containerCounts?: () => { total: number; running: number; paused: number; stopped: number };
  /** Every container's summary with SizeRw/SizeRootFs, for /system/df. */
  containersUsage?: () => Promise<unknown[]>;
  /** Local volumes with their UsageData, for /system/df. */
  volumesUsage?: () => Promise<Volume[]>;
  /** The build cache's records for `system df` (build/BuildService.diskUsage). */
  buildCache?: () => Promise<unknown[]>;
}

function osPrettyName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    // No os-release (minimal hosts): Docker reports the generic name too.
    return 'Linux';
  }
}

function cgroupVersion(): '1' | '2' {
  try {
    readFileSync('/sys/fs/cgroup/cgroup.controllers');
    return '2';
  } catch {
    // cgroup.controllers exists only on the unified (v2) hierarchy.
    return '1';
  }
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };

/** /version, /info and /system/df: what the daemon says about itself. */
export class SystemService {
  readonly #o: SystemInfoOptions;

  constructor(opts: SystemInfoOptions) {
    this.#o = opts;
  }

  version(): SystemVersion {
    const o = this.#o;
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    return {
      Platform: { Name: 'estiba' },
      Components: [
        {
          Name: 'Engine',
          Version: o.version,
          Details: {
            ApiVersion: o.apiVersion,
            Arch: arch,
            BuildTime: '',
            Experimental: 'false',
            GitCommit: o.gitCommit,
            GoVersion: `node${process.versions.node}`,
            KernelVersion: os.release(),
            MinAPIVersion: o.minApiVersion,
            Os: 'linux',
          },
        },
        ...Object.entries(o.runtimes).map(([name, r]) => ({ Name: name, Version: '', Details: { Path: r.path } })),
      ],
      Version: o.version,
      ApiVersion: o.apiVersion,
      MinAPIVersion: o.minApiVersion,
      GitCommit: o.gitCommit,
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: arch,
      KernelVersion: os.release(),
      BuildTime: '',
    };
  }

  async info(): Promise<Record<string, unknown>> {
    const o = this.#o;
    const images = (await o.images.list({ all: true })).length;
    const counts = o.containerCounts?.() ?? { total: 0, running: 0, paused: 0, stopped: 0 };
    return {
      ID: o.daemonId,
      Containers: counts.total,
      ContainersRunning: counts.running,
      ContainersPaused: counts.paused,
      ContainersStopped: counts.stopped,
      Images: images,
      Driver: 'overlay2',
      DriverStatus: [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'true'],
        ['userxattr', 'false'],
      ],
      Plugins: {
        Volume: ['local'],
        Network: ['bridge', 'host', 'null'],
        Authorization: null,
        Log: ['json-file', 'none'],
      },
      MemoryLimit: true,
      SwapLimit: true,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: true,
      BridgeNfIp6tables: true,
      Debug: o.debug,
      NFd: 0,
      OomKillDisable: true,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: cgroupVersion(),
      NEventsListener: o.events.listenerCount,
      KernelVersion: os.release(),
      OperatingSystem: osPrettyName(),
      OSVersion: '',
      OSType: 'linux',
      Architecture: ARCH[process.arch] ?? process.arch,
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        AllowNondistributableArtifactsCIDRs: null,
        AllowNondistributableArtifactsHostnames: null,
        InsecureRegistryCIDRs: ['127.0.0.0/8'],
        IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
        Mirrors: null,
      },
      NCPU: os.cpus().length,
      MemTotal: os.totalmem(),
      GenericResources: null,
      DockerRootDir: o.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: os.hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: o.version,
      Runtimes: Object.fromEntries(Object.entries(o.runtimes).map(([n, r]) => [n, { path: r.path }])),
      DefaultRuntime: o.defaultRuntime,
      Swarm: {
        NodeID: '',
        NodeAddr: '',
        LocalNodeState: 'inactive',
        ControlAvailable: false,
        Error: '',
        RemoteManagers: null,
      },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'docker-init',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: '' },
      InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin'],
      Warnings: null,
    };
  }

  async diskUsage(opts: { withVirtualSize?: boolean } = {}): Promise<SystemDfResponse> {
    const images = await this.#o.images.diskUsageImages(opts);
    return {
      LayersSize: await this.#o.images.layersSize(),
      Images: images,
      Containers: (await this.#o.containersUsage?.()) ?? [],
      Volumes: (await this.#o.volumesUsage?.()) ?? [],
      BuildCache: (await this.#o.buildCache?.()) ?? [],
    };
  }
}
