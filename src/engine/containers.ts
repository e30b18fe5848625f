/**
 * ContainerService: the container lifecycle the containers router needs (create, start, stop,
 * kill, wait, remove, list, inspect, logs, attach), over the container store, the image
 * service, overlay rootfs mounts and conmon + runc/crun.
 *
 * Lifecycle: create writes the record (no process, no mount) → start mounts the rootfs, writes
 * the OCI bundle under `<execRoot>/containers/<id>`, has conmon run `<runtime> create`, connects
 * attach clients that were waiting, then `<runtime> start` → a monitor awaits conmon's exit file
 * → on exit the runtime state is deleted, the rootfs unmounted, the record marked exited, and an
 * AutoRemove container removed. Everything a restarted daemon needs is in the record and in
 * conmon's files (see reconcile()).
 *
 * Concurrency: mutations of one container are serialised by a keyed mutex; waiting for an exit
 * never holds it (stop sends a signal, releases, then waits).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Duplex } from 'node:stream';
import type {
  ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerSummary, ContainerWaitResponse, HostConfig,
  LogConfig, NetworkSettings, WaitCondition,
} from '../api/containers.js';
import type { Filters } from '../api/types.js';
import {
  commandLine, initialState, isRunning, setExited, setRemoving, setRunning, setStartFailed, ZERO_TIME, type ContainerRecord,
} from '../container/container.js';
import { readLog, STDOUT, type LogBatch } from '../container/logs.js';
import { DEFAULT_LOG_DRIVER, DEFAULT_LOG_OPTS, logPolicy, resolveLogConfig } from '../container/log-config.js';
import { normalizeName, randomName } from '../container/names.js';
import { createRootfsDirs, mountRootfs, rootfsPaths, unmountRootfs, type RootfsPaths } from '../container/rootfs.js';
import type { ContainerStore } from '../container/store.js';
import { Conflict, InvalidParameter, NotFound, NotImplemented, NotModified, System, isConflict, isErrno, isInvalidParameter, isNotFound, messageOf } from '../errdefs/index.js';
import type { ImageConfig } from '../oci/image.js';
import type { Spec } from '../oci/runtime-spec.js';
import type { DockerSeccompProfile } from '../oci/seccomp-profile.js';
import { withResources } from '../oci/spec-opts/index.js';
import { SeccompBpfCache } from '../runtime/seccomp-bpf-cache.js';
import { conmonPaths, isConmonAlive, type AttachSession, type Conmon, type ConmonPaths } from '../runtime/conmon.js';
import type { Digest } from '../util/digest.js';
import type { Logger } from '../util/logger.js';
import { KeyedMutex } from '../util/mutex.js';
import { humanDuration } from '../util/human-duration.js';
import { buildSpec, resourceOptions, writeEtcFiles } from './container-spec.js';
import { cgroupFreezer, runFrozen } from './freeze.js';
import type { NetworkService } from './networks.js';
import { HealthMonitor, mergeHealthcheck, type ProbeResult } from './health.js';
import type { ContainerMounts } from './mounts.js';
import { LogRotator } from './log-rotator.js';
import { pumpSession } from './stdio-pump.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from './detach-keys.js';
import { emptyStats, StatsCollector, type StatsResponse } from './stats.js';
import { execCommand } from '../util/exec.js';


/** The hooks of NetworkService (engine/networks.ts) the container lifecycle calls. */
export type ContainerNetworking = Pick<NetworkService, 'attachmentsFor' | 'created' | 'setUp' | 'tearDown' | 'removed' | 'settings' | 'summary' | 'onNetwork'>;

/** What the service needs from the image side. */
export interface ContainerImages {
  resolve(name: string): { id: Digest; layers: readonly { diffId: Digest }[] };
  config(id: Digest): Promise<ImageConfig>;
  /** Chain IDs of an image's layers, bottom first. */
  chainIds(diffIds: readonly Digest[]): Digest[];
  layerDir(chainId: Digest): string;
  /** The image's size on disk (for SizeRootFs); 0 when the image is gone. */
  size(id: Digest): Promise<number>;
}

export interface ContainerServiceOptions {
  store: ContainerStore;
  images: ContainerImages;
  /** Monitors by runtime name (runc, crun). */
  runtimes: ReadonlyMap<string, Conmon>;
  defaultRuntime: string;
  execRoot: string;
  logger: Logger;
  emit: (action: string, id: string, attributes: Record<string, string>) => void;
  seccompProfile: () => Promise<DockerSeccompProfile>;
  /** Called once before the first container runs on this runtime (crun needs the hugetlb v1 fix). */
  prepareRuntime?: (name: string) => Promise<void>;
  /** IDs of a container's running execs (inspect's ExecIDs). */
  execIds?: (id: string) => string[] | null;
  /** Runs a health probe in a running container (ExecService.probe). */
  probe?: (id: string, argv: string[], timeoutMs: number) => Promise<ProbeResult>;
  /** Networking (NetworkService); without it every container gets a private namespace with only lo. */
  network?: ContainerNetworking;
  /** The daemon's `--log-driver`/`--log-opt`; default json-file with {@link DEFAULT_LOG_OPTS}. */
  logConfig?: LogConfig;
  /** Binds, volumes and `--mount` (engine/mounts.ts); without it containers mount nothing of their own. */
  mounts?: ContainerMounts;
  now?: () => Date;
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  stream: boolean;
  logs: boolean;
  /** `detachKeys`: the sequence that detaches a TTY session (default ctrl-p,ctrl-q). */
  detachKeys?: string;
}

export interface AttachTarget {
  tty: boolean;
  /** Streams the container's output to `conn` (and `conn` to its stdin) until it exits or `conn` closes. */
  run(conn: Duplex): Promise<void>;
}

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  tail?: number;
  since?: bigint;
  until?: bigint;
  signal?: AbortSignal;
}

interface Live {
  exitWaiters: Array<(code: number) => void>;
  removeWaiters: Array<(code: number) => void>;
  /** Attach clients that arrived before start: connected by start before the process runs. */
  pendingAttach: Array<(paths: ConmonPaths, signal: AbortSignal) => Promise<void>>;
  onRemoved: Array<() => void>;
}

/** Parses `TERM`, `SIGTERM`, `sigkill`, `9` into a signal number; InvalidParameter otherwise. */
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n > 0 && n < 65) return n;
    throw new InvalidParameter(`Invalid signal: ${raw}`);
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  const n = (osConstants.signals as Record<string, number | undefined>)[`SIG${name}`];
  if (n === undefined) throw new InvalidParameter(`Invalid signal: ${raw}`);
  return n;
}

/**
 * The runtime's own words from conmon's report: runc logs `time=… level=error msg="…"` (Go-quoted);
 * crun writes plain text. Docker shows the message followed by the error class (`: unknown`).
 */
export function runtimeErrorMessage(raw: string): string {
  const text = raw.replace(/^\w+ create [0-9a-f]+: /, '').trim();
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  if (m === null) return text;
  try {
    return JSON.parse(`"${m[1]!}"`) as string;
  } catch (err) {
    void err; // Not JSON-compatible quoting: show it as it came.
    return m[1]!;
  }
}

/** moby translateContainerdStartErr: the exit code a failed start leaves (127 not found, 126 not executable). */
function startErrorExitCode(msg: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) return 127;
  if (/permission denied|is a directory/.test(msg)) return 126;
  return 128;
}

export class ContainerService {
  readonly #o: ContainerServiceOptions;
  readonly #lock = new KeyedMutex();
  readonly #live = new Map<string, Live>();
  readonly #prepared = new Set<string>();
  readonly #stats = new StatsCollector();
  readonly #bpf = new SeccompBpfCache();
  /** Restart policy back-off per container (ms; Docker's restartmanager) and pending restarts. */
  readonly #backoff = new Map<string, number>();
  readonly #restartTimers = new Map<string, NodeJS.Timeout>();
  /** `<runtime> delete` of exited containers, run after the exit is reported (see #deleteRuntimeState). */
  readonly #runtimeDeletes = new Map<string, Promise<void>>();
  /** Other clean-up left to run after the answer (a removed container's files); awaited by close(). */
  readonly #cleanups = new Set<Promise<void>>();
  readonly #rotator: LogRotator;
  readonly #health: HealthMonitor;

  constructor(o: ContainerServiceOptions) {
    this.#o = o;
    this.#rotator = new LogRotator({ logger: o.logger });
    this.#health = new HealthMonitor({
      probe: (id, argv, timeoutMs) => {
        if (o.probe === undefined) return Promise.resolve({ exitCode: -1, output: 'health probes are not available' });
        return o.probe(id, argv, timeoutMs);
      },
      find: (id) => o.store.find(id),
      isRunning: (c) => isRunning(c),
      save: (c) => o.store.save(c),
      emit: (c, action) => this.#emit(c, action),
      logger: o.logger,
      now: () => this.#now,
    });
  }

  get #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }

  #liveOf(id: string): Live {
    let l = this.#live.get(id);
    if (!l) {
      l = { exitWaiters: [], removeWaiters: [], pendingAttach: [], onRemoved: [] };
      this.#live.set(id, l);
    }
    return l;
  }

  #paths(id: string): ConmonPaths {
    return conmonPaths({ id, bundle: join(this.#o.execRoot, 'containers', id), exitDir: join(this.#o.execRoot, 'exits') });
  }

  #logPath(id: string): string {
    return join(this.#o.store.dir(id), 'container.log');
  }

  #conmon(runtime: string): Conmon {
    const m = this.#o.runtimes.get(runtime);
    if (!m) throw new InvalidParameter(`Unknown runtime specified ${runtime}`);
    return m;
  }

  #emit(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.#o.emit(action, c.ID, { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? '', name: c.Name.slice(1), ...extra });
  }

  /** Who uses an image (for rmi conflicts) and which layers containers hold (for GC). */
  containersUsing(imageId: Digest): { id: string; running: boolean }[] {
    return this.#o.store.list().filter((c) => c.Image === imageId).map((c) => ({ id: c.ID, running: isRunning(c) }));
  }

  layersInUse(): Set<Digest> {
    return new Set(this.#o.store.list().flatMap((c) => c.Layers));
  }

  // ---- start-up -------------------------------------------------------------------------

  /**
   * After a daemon restart: a container recorded as running whose conmon is alive is monitored
   * again; one whose conmon is gone is marked exited with the code conmon recorded (or 255 when
   * there is none, e.g. after a reboot), and cleaned up.
   */
  async reconcile(): Promise<void> {
    await this.#sweepRuntimeState();
    for (const dir of await this.#o.store.trash()) this.#background(`removing the files of a removed container (${dir})`, () => removeContainerDir(dir));
    for (const c of this.#o.store.list()) {
      if (c.State.Status === 'removing') {
        await this.#finishRemove(c);
        continue;
      }
      if (c.State.Status === 'exited' || c.State.Status === 'restarting') {
        if (shouldRestartAtStartup(c)) {
          // moby restore → containerStart(resetRestartManager): the start-up restart clears the manual stop,
          // so the policy goes on applying afterwards.
          c.HasBeenManuallyStopped = false;
          this.#scheduleRestart(c, undefined);
        }
        else if (c.State.Status === 'restarting') {
          c.State = { ...c.State, Status: 'exited' };
          await this.#o.store.save(c);
        }
        continue;
      }
      if (!isRunning(c)) continue;
      const paths = this.#paths(c.ID);
      if (c.State.ConmonPid > 0 && isConmonAlive(c.State.ConmonPid)) {
        this.#o.logger.info('container still running', { id: c.ID, pid: c.State.Pid });
        this.#o.mounts?.restore(c);
        this.#health.start(c, { fresh: false });
        this.#monitor(c, this.#conmon(c.Runtime), paths);
        continue;
      }
      const code = await this.#conmon(c.Runtime).exitCode(paths);
      // The exit file was written when the process ended: that is when it finished.
      const at = code === undefined ? this.#now : (await stat(paths.exitFile)).mtime;
      this.#o.logger.info('container exited while the daemon was down', { id: c.ID, exitCode: code });
      await this.#handleExit(c.ID, code ?? 255, code === undefined ? 'the container monitor is gone and recorded no exit code' : undefined, at);
    }
  }

  // ---- create ---------------------------------------------------------------------------

  async create(req: ContainerCreateRequest, opts: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    const { store } = this.#o;
    if (typeof req.Image !== 'string' || req.Image === '') throw new InvalidParameter('config cannot be empty in order to create a container');
    const img = this.#o.images.resolve(req.Image);
    const fullCfg = await this.#o.images.config(img.id);
    if (opts.platform !== undefined) {
      // moby: a local image of another platform is "not found" for this one (the CLI then tries a pull).
      const [os = '', arch = '', variant] = opts.platform.split('/');
      const actual = [fullCfg.os, fullCfg.architecture, ...(fullCfg.variant ? [fullCfg.variant] : [])].join('/');
      if (os !== fullCfg.os || (arch !== '' && arch !== fullCfg.architecture) || (variant !== undefined && variant !== fullCfg.variant)) {
        throw new NotFound(`image with reference ${req.Image} was found but does not match the specified platform: wanted ${opts.platform}, actual: ${actual}`);
      }
    }
    const imgCfg = fullCfg.config ?? {};
    const { HostConfig: hostConfigIn, NetworkingConfig: _net, ...userCfg } = req;
    const hc: HostConfig = { ...(hostConfigIn ?? {}) };
    hc.NetworkMode = hc.NetworkMode === undefined || hc.NetworkMode === '' ? 'default' : hc.NetworkMode;
    const attachments = this.#o.network?.attachmentsFor(hc, req.NetworkingConfig, req.Hostname) ?? [];
    if (this.#o.network === undefined && !['default', 'none', 'host', 'bridge'].includes(hc.NetworkMode)) {
      throw new NotFound(`network ${hc.NetworkMode} not found`);
    }
    const runtime = hc.Runtime === undefined || hc.Runtime === '' ? this.#o.defaultRuntime : hc.Runtime;
    this.#conmon(runtime);
    hc.Runtime = runtime;
    hc.LogConfig = resolveLogConfig(hc.LogConfig, this.#o.logConfig ?? { Type: DEFAULT_LOG_DRIVER, Config: { ...DEFAULT_LOG_OPTS } });
    hc.RestartPolicy ??= { Name: 'no', MaximumRetryCount: 0 };
    if (hc.RestartPolicy.Name === '') hc.RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };
    if (hc.AutoRemove === true && hc.RestartPolicy.Name !== 'no') {
      throw new InvalidParameter("can't create 'AutoRemove' container with restart policy");
    }

    // moby daemon/commit.go merge(): the user's config wins; the image fills what is missing.
    const cfg = { ...userCfg };
    if (cfg.Env === undefined || cfg.Env === null || cfg.Env.length === 0) cfg.Env = [...(imgCfg.Env ?? [])];
    else {
      for (const e of imgCfg.Env ?? []) {
        const key = e.split('=')[0];
        if (!cfg.Env.some((u) => u.split('=')[0] === key)) cfg.Env.push(e);
      }
    }
    cfg.Labels = { ...(imgCfg.Labels ?? {}), ...(cfg.Labels ?? {}) };
    if (cfg.Entrypoint === undefined || cfg.Entrypoint === null || cfg.Entrypoint.length === 0) {
      if (cfg.Cmd === undefined || cfg.Cmd === null || cfg.Cmd.length === 0) cfg.Cmd = imgCfg.Cmd ?? null;
      if (cfg.Entrypoint === undefined || cfg.Entrypoint === null) cfg.Entrypoint = imgCfg.Entrypoint ?? null;
    }
    if (cfg.WorkingDir === undefined || cfg.WorkingDir === '') cfg.WorkingDir = imgCfg.WorkingDir ?? '';
    if (cfg.User === undefined || cfg.User === '') cfg.User = imgCfg.User ?? '';
    if ((cfg.StopSignal === undefined || cfg.StopSignal === '') && imgCfg.StopSignal !== undefined) cfg.StopSignal = imgCfg.StopSignal;
    if (cfg.ExposedPorts === undefined && imgCfg.ExposedPorts !== undefined) cfg.ExposedPorts = imgCfg.ExposedPorts;
    // The image's VOLUMEs add to the user's (`-v /path`): each becomes an anonymous volume.
    if (imgCfg.Volumes !== undefined && imgCfg.Volumes !== null) cfg.Volumes = { ...imgCfg.Volumes, ...(cfg.Volumes ?? {}) };
    const health = mergeHealthcheck(cfg.Healthcheck, imgCfg.Healthcheck);
    if (health !== undefined) cfg.Healthcheck = health;
    for (const [k, min] of [['Interval', 1e6], ['Timeout', 1e6], ['StartPeriod', 1e6], ['StartInterval', 1e6]] as const) {
      const v = health?.[k];
      if (v !== undefined && v !== 0 && v < min) throw new InvalidParameter(`${k} in Healthcheck cannot be less than 1ms`);
    }
    if (health?.Retries !== undefined && health.Retries < 0) throw new InvalidParameter('Retries in Healthcheck cannot be negative');
    if (cfg.StopSignal !== undefined && cfg.StopSignal !== '') parseSignal(cfg.StopSignal);
    const argv = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
    if (argv.length === 0) throw new InvalidParameter('no command specified');
    if (cfg.WorkingDir !== '' && !cfg.WorkingDir.startsWith('/')) {
      throw new InvalidParameter(`the working directory '${cfg.WorkingDir}' is invalid, it needs to be an absolute path`);
    }

    const id = randomBytes(32).toString('hex');
    cfg.Hostname = cfg.Hostname === undefined || cfg.Hostname === '' ? id.slice(0, 12) : cfg.Hostname;
    cfg.Image = req.Image;
    let name: string;
    if (opts.name !== undefined && opts.name !== '') {
      name = normalizeName(opts.name);
      store.reserveName(name, id);
    } else {
      let retry = 0;
      do name = randomName(Math.random, retry++);
      while (store.hasName(name) && retry < 10);
      store.reserveName(name, id);
    }
    let mounts: Awaited<ReturnType<ContainerMounts['resolve']>> | undefined;
    try {
      mounts = await this.#o.mounts?.resolve({ id, config: cfg, hostConfig: hc });
    } catch (err) {
      store.releaseName(name, id);
      throw err;
    }
    const rec: ContainerRecord = {
      ID: id,
      Name: name,
      Created: this.#now.toISOString(),
      Path: argv[0]!,
      Args: argv.slice(1),
      Image: img.id,
      Layers: this.#o.images.chainIds(img.layers.map((l) => l.diffId)),
      Config: cfg,
      State: initialState(),
      Runtime: runtime,
      RestartCount: 0,
      ...(mounts !== undefined && Object.keys(mounts.mountPoints).length > 0 ? { MountPoints: mounts.mountPoints } : {}),
      HostConfig: hc,
    };
    try {
      await createRootfsDirs(rootfsPaths(store.dir(id)));
      await this.#o.mounts?.populate(rec, rootfsPaths(store.dir(id)), [...rec.Layers].reverse().map((l) => this.#o.images.layerDir(l)));
      await store.save(rec);
      await this.#o.network?.created(id, attachments);
    } catch (err) {
      store.releaseName(name, id);
      await rm(store.dir(id), { recursive: true, force: true });
      await mounts?.rollback();
      throw err;
    }
    this.#o.mounts?.settled(id);
    this.#emit(rec, 'create');
    return { Id: id, Warnings: [] };
  }

  // ---- start, exit ----------------------------------------------------------------------

  async start(ref: string, o: { policy?: boolean } = {}): Promise<void> {
    const c = this.#o.store.get(ref);
    if (o.policy !== true) {
      this.#cancelRestart(c.ID);
      if (c.State.Status === 'restarting') c.State = { ...c.State, Status: 'exited' };
      c.HasBeenManuallyStopped = false;
      c.RestartCount = 0;
      this.#backoff.delete(c.ID);
    }
    let failed: unknown;
    let netFailed: unknown;
    await this.#lock.run(c.ID, async () => {
      if (isRunning(c)) throw new NotModified(`container ${c.ID} is already running`);
      // A stop or kill got the lock before this policy restart did: it stays stopped.
      if (o.policy === true && c.State.Status !== 'restarting') return;
      if (c.State.Status === 'removing' || c.State.Status === 'dead') {
        throw new Conflict(`cannot start a container that has been removed`);
      }
      const conmon = this.#conmon(c.Runtime);
      if (!this.#prepared.has(c.Runtime)) {
        await this.#o.prepareRuntime?.(c.Runtime);
        this.#prepared.add(c.Runtime);
      }
      const dir = this.#o.store.dir(c.ID);
      const rp = rootfsPaths(dir);
      const paths = this.#paths(c.ID);
      // The rootfs and the network are independent: both are set up at once.
      const [mounted, networked] = await Promise.allSettled([
        mountRootfs(rp, [...c.Layers].reverse().map((l) => this.#o.images.layerDir(l))),
        this.#o.network?.setUp(c),
      ]);
      if (mounted.status === 'rejected') {
        if (networked.status === 'fulfilled') await this.#o.network?.tearDown(c).catch((e: unknown) => this.#o.logger.warn('network teardown after failed mount', { id: c.ID, err: messageOf(e) }));
        throw mounted.reason;
      }
      if (networked.status === 'rejected') {
        await unmountRootfs(rp).catch((e: unknown) => this.#o.logger.warn('unmount after failed network setup', { id: c.ID, err: messageOf(e) }));
        // Network errors (a port already allocated, a missing network) reach the client as they are, like Docker's.
        netFailed = networked.reason;
        return;
      }
      const net = networked.value;
      let created;
      const abortAttach = new AbortController();
      let bpf: ReturnType<SeccompBpfCache['prepare']>;
      try {
        // Independent file work, at once: the volumes, /etc files, the profile and the bundle directory.
        const [mounts, etcMounts, seccomp] = await Promise.all([
          this.#o.mounts?.setup(c, rp.merged),
          writeEtcFiles(dir, c, net),
          this.#o.seccompProfile(),
          mkdir(paths.bundle, { recursive: true, mode: 0o700 }),
          rm(paths.exitFile, { force: true }),
          rm(paths.attachSocket, { force: true }),
        ]);
        const spec = await buildSpec({
          container: c, rootfs: rp.merged, etcMounts, seccomp,
          ...(mounts !== undefined ? { mounts } : {}),
          ...(net !== undefined ? { netns: net.namespace } : {}),
        });
        bpf = this.#bpf.prepare(spec, conmon.runtime);
        await writeFile(join(paths.bundle, 'config.json'), JSON.stringify(spec));
        // State left by an earlier run that was never deleted (a crash): only then exec the runtime.
        await this.#runtimeDeletes.get(c.ID);
        if (existsSync(join(conmon.runtime.root, c.ID))) {
          await conmon.runtime.delete(c.ID, { force: true }).catch((err: unknown) => {
            if (!isNotFound(err)) throw err;
          });
        }
        // Clients that attached before start get every byte: their bridges start now (the
        // interpreter's start-up overlaps conmon's create) and connect before the process runs.
        const pending = this.#liveOf(c.ID).pendingAttach.splice(0);
        const attaching = pending.map((a) => a(paths, abortAttach.signal).catch((err: unknown) => this.#o.logger.warn('attach at start failed', { id: c.ID, err: messageOf(err) })));
        const t0 = performance.now();
        created = await conmon.create({
          id: c.ID,
          name: c.Name.slice(1),
          bundle: paths.bundle,
          exitDir: paths.exitDir,
          log: this.#logPolicy(c).driver === 'none' ? { driver: 'none' } : { driver: 'k8s-file', path: this.#logPath(c.ID) },
          stdin: c.Config.OpenStdin === true,
          terminal: c.Config.Tty === true,
          // Docker closes a container's stdin when its client leaves only for StdinOnce without a TTY.
          leaveStdinOpen: !(c.Config.StdinOnce === true && c.Config.Tty !== true),
        });
        const t1 = performance.now();
        if (bpf?.hit === false) {
          await this.#bpf.learn(bpf.key, conmon.runtime, c.ID).catch((err: unknown) => this.#o.logger.warn('keeping the compiled seccomp filter', { id: c.ID, err: messageOf(err) }));
        }
        await Promise.all(attaching);
        const t2 = performance.now();
        await conmon.start(c.ID);
        this.#o.logger.debug('container started', { id: c.ID, createMs: Math.round(t1 - t0), attachMs: Math.round(t2 - t1), startMs: Math.round(performance.now() - t2) });
      } catch (err) {
        failed = err;
        abortAttach.abort(err);
        const msg = messageOf(err);
        if (created !== undefined) await conmon.runtime.delete(c.ID, { force: true }).catch(() => undefined);
        await this.#o.mounts?.release(c);
        await this.#o.network?.tearDown(c).catch((e: unknown) => this.#o.logger.warn('network teardown after failed start', { id: c.ID, err: messageOf(e) }));
        await unmountRootfs(rp).catch((e: unknown) => this.#o.logger.warn('unmount after failed start', { id: c.ID, err: messageOf(e) }));
        setStartFailed(c, { exitCode: startErrorExitCode(msg), error: runtimeErrorMessage(msg) });
        await this.#o.store.save(c);
        return;
      }
      setRunning(c, { pid: created.pid, conmonPid: created.conmonPid, at: this.#now });
      this.#health.start(c, { fresh: true });
      await this.#o.store.save(c);
      this.#emit(c, 'start');
      this.#monitor(c, conmon, paths);
    });
    if (netFailed !== undefined) {
      if (c.HostConfig.AutoRemove === true) await this.remove(c.ID, { force: true }).catch((e: unknown) => this.#o.logger.warn('auto-remove after failed start', { id: c.ID, err: messageOf(e) }));
      throw netFailed;
    }
    if (failed !== undefined) {
      const msg = `failed to create task for container: OCI runtime create failed: ${runtimeErrorMessage(messageOf(failed))}: unknown`;
      if (c.HostConfig.AutoRemove === true) await this.remove(c.ID, { force: true, volumes: true }).catch((e: unknown) => this.#o.logger.warn('auto-remove after failed start', { id: c.ID, err: messageOf(e) }));
      // The daemon's own checks (mount sources, users) reach the client in their own words, as in Docker.
      if (isInvalidParameter(failed)) throw failed;
      throw startErrorExitCode(msg) === 128 ? new System(msg, { cause: failed }) : new InvalidParameter(msg, { cause: failed });
    }
  }

  #logPolicy(c: ContainerRecord): ReturnType<typeof logPolicy> {
    return logPolicy(c.HostConfig.LogConfig ?? { Type: 'k8s-file', Config: {} });
  }

  #monitor(c: ContainerRecord, conmon: Conmon, paths: ConmonPaths): void {
    const policy = this.#logPolicy(c);
    if (policy.driver === 'json-file' && policy.maxSize !== undefined) {
      this.#rotator.watch(c.ID, { path: this.#logPath(c.ID), maxSize: policy.maxSize, maxFile: policy.maxFile, reopen: () => conmon.reopenLog(paths) });
    }
    void conmon.wait(paths).then(
      (code) => this.#handleExit(c.ID, code),
      (err: unknown) => this.#handleExit(c.ID, 255, messageOf(err)),
    ).catch((err: unknown) => this.#o.logger.error('handling container exit failed', { id: c.ID, err: messageOf(err) }));
  }

  async #handleExit(id: string, code: number, error?: string, at: Date = this.#now): Promise<void> {
    let autoRemove = false;
    let ranMs: number | undefined;
    await this.#lock.run(id, async () => {
      const c = this.#o.store.find(id);
      if (!c || !isRunning(c)) return;
      ranMs = at.getTime() - Date.parse(c.State.StartedAt);
      this.#rotator.unwatch(id);
      this.#health.stop(id);
      if (c.State.Health !== undefined) c.State.Health = { ...c.State.Health, Status: 'unhealthy' };
      // The container's processes are gone: its runtime state, rootfs mount and network are independent.
      this.#deleteRuntimeState(c.Runtime, id);
      // An AutoRemove container's rootfs is unmounted with the rest of its files, after its removal.
      const removing = c.HostConfig.AutoRemove === true && !policyWantsRestart(c, code);
      await Promise.all([
        removing ? undefined : unmountRootfs(rootfsPaths(this.#o.store.dir(id))).catch((err: unknown) => this.#o.logger.warn('unmount after exit', { id, err: messageOf(err) })),
        this.#o.network?.tearDown(c).catch((err: unknown) => this.#o.logger.warn('network teardown after exit', { id, err: messageOf(err) })),
      ]);
      await this.#o.mounts?.release(c);
      setExited(c, { exitCode: code, at, ...(error !== undefined ? { error } : {}) });
      // Decided before the save: a stop arriving meanwhile must find it restarting (and cancel that), not exited.
      const restart = c.HasBeenManuallyStopped !== true && policyWantsRestart(c, code);
      if (restart) c.State = { ...c.State, Status: 'restarting' };
      await this.#o.store.save(c);
      this.#emit(c, 'die', { exitCode: String(code) });
      autoRemove = c.HostConfig.AutoRemove === true;
      if (restart) this.#scheduleRestart(c, ranMs);
    });
    for (const w of this.#liveOf(id).exitWaiters.splice(0)) w(code);
    if (autoRemove) {
      await this.remove(id, { force: true, volumes: true }).catch((err: unknown) => {
        if (!isNotFound(err)) this.#o.logger.warn('auto-remove failed', { id, err: messageOf(err) });
      });
    }
  }

  /**
   * `<runtime> delete` of an exited container (its state directory and cgroups), in the
   * background: the exit, the removal of an AutoRemove container and `docker wait` do not wait
   * for the ≈ 12 ms of runc's exec. A start of the same container waits for it; shutdown waits
   * for all; state left by a crash in between is swept at the next start-up (reconcile).
   */
  #deleteRuntimeState(runtime: string, id: string): void {
    const rt = this.#o.runtimes.get(runtime)?.runtime;
    if (rt === undefined) return;
    const p = (this.#runtimeDeletes.get(id) ?? Promise.resolve())
      .then(() => rt.delete(id, { force: true }))
      .catch((err: unknown) => {
        if (!isNotFound(err)) this.#o.logger.warn('runtime delete after exit', { id, err: messageOf(err) });
      })
      .finally(() => {
        if (this.#runtimeDeletes.get(id) === p) this.#runtimeDeletes.delete(id);
      });
    this.#runtimeDeletes.set(id, p);
  }

  /** Runtime state of containers the store does not know (a crash between removal and delete). */
  async #sweepRuntimeState(): Promise<void> {
    for (const [name, conmon] of this.#o.runtimes) {
      let ids: string[];
      try {
        ids = await readdir(conmon.runtime.root);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      for (const id of ids) {
        if (/^[0-9a-f]{64}$/.test(id) && this.#o.store.find(id) === undefined) this.#deleteRuntimeState(name, id);
      }
    }
  }

  /** Runs `work` after the current answer; failures are logged; close() waits for it. */
  #background(what: string, work: () => Promise<void>): void {
    const p = work()
      .catch((err: unknown) => this.#o.logger.warn(what, { err: messageOf(err) }))
      .finally(() => this.#cleanups.delete(p));
    this.#cleanups.add(p);
  }

  /** Waits for the background work (runtime deletes, removed files) and stops watching logs: the daemon is stopping. */
  async close(): Promise<void> {
    this.#rotator.close();
    await Promise.allSettled([...this.#runtimeDeletes.values(), ...this.#cleanups]);
  }

  #nextExit(id: string): Promise<number> {
    return new Promise((resolve) => this.#liveOf(id).exitWaiters.push(resolve));
  }

  // ---- stop, kill, restart --------------------------------------------------------------

  async kill(ref: string, signal = 'KILL'): Promise<void> {
    const c = this.#o.store.get(ref);
    const sig = parseSignal(signal);
    if (await this.#stopRestarting(c)) return;
    if (isRunning(c)) c.HasBeenManuallyStopped = true;
    if (!isRunning(c)) throw new Conflict(`Cannot kill container: ${ref}: container ${c.ID} is not running`);
    // moby's Kill: after SIGKILL the answer waits (up to 10 s) until the exit is recorded, so a
    // `docker rm` right after `docker kill` finds the container stopped.
    const exited = sig === 9 ? this.#nextExit(c.ID) : undefined;
    await this.#signal(c, sig);
    this.#emit(c, 'kill', { signal: String(sig) });
    if (exited !== undefined) await withTimeout(exited, 10_000);
  }

  async #signal(c: ContainerRecord, sig: number): Promise<void> {
    const rt = this.#conmon(c.Runtime).runtime;
    await rt.kill(c.ID, sig).catch((err: unknown) => {
      // It exited in between: the monitor records that; nothing left to signal.
      if (isNotFound(err) || /not running|process already finished/i.test(messageOf(err))) return;
      throw err;
    });
    // Frozen processes act on a signal only once thawed: SIGKILL of a paused container thaws it (as dockerd does).
    if (sig === 9 && c.State.Status === 'paused') {
      await rt.resume(c.ID).catch((err: unknown) => this.#o.logger.warn('resume after SIGKILL', { id: c.ID, err: messageOf(err) }));
    }
  }

  // ---- pause, rename, prune -------------------------------------------------------------

  /** Freezes every process of the container (the runtime's freezer cgroup). */
  async pause(ref: string): Promise<void> {
    const c = this.#o.store.get(ref);
    await this.#lock.run(c.ID, async () => {
      if (c.State.Status === 'paused') throw new Conflict(`Container ${c.ID} is already paused`);
      if (!isRunning(c)) throw new Conflict(`Container ${c.ID} is not running`);
      await this.#conmon(c.Runtime).runtime.pause(c.ID);
      c.State = { ...c.State, Status: 'paused' };
      await this.#o.store.save(c);
    });
    this.#emit(c, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const c = this.#o.store.get(ref);
    await this.#lock.run(c.ID, async () => {
      if (c.State.Status !== 'paused') throw new Conflict(`Container ${c.ID} is not paused`);
      await this.#conmon(c.Runtime).runtime.resume(c.ID);
      c.State = { ...c.State, Status: 'running' };
      await this.#o.store.save(c);
    });
    this.#emit(c, 'unpause');
  }

  async rename(ref: string, newName: string): Promise<void> {
    if (newName === '') throw new InvalidParameter('Neither old nor new names may be empty');
    const c = this.#o.store.get(ref);
    const name = normalizeName(newName);
    const old = c.Name;
    if (name === old) throw new InvalidParameter('Renaming a container with the same name as its current name');
    await this.#lock.run(c.ID, async () => {
      this.#o.store.reserveName(name, c.ID);
      c.Name = name;
      try {
        await this.#o.store.save(c);
      } catch (err) {
        c.Name = old;
        this.#o.store.releaseName(name, c.ID);
        throw err;
      }
      this.#o.store.releaseName(old, c.ID);
    });
    this.#emit(c, 'rename', { oldName: old });
  }

  /** Removes every container that is not running (filters: label, label!, until). */
  async prune(filters: Filters = new Map()): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    for (const k of filters.keys()) {
      if (!['label', 'label!', 'until'].includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    }
    const until = filters.get('until')?.[0];
    const untilMs = until === undefined ? undefined : parseUntil(until, this.#now);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const c of this.#o.store.list()) {
      if (isRunning(c) || c.State.Status === 'removing') continue;
      if (!matchLabels(c, filters.get('label') ?? [], true) || !matchLabels(c, filters.get('label!') ?? [], false)) continue;
      if (untilMs !== undefined && Date.parse(c.Created) >= untilMs) continue;
      const size = await dirSize(rootfsPaths(this.#o.store.dir(c.ID)).upper);
      try {
        await this.remove(c.ID, {});
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) continue; // removed or started meanwhile
        throw err;
      }
      deleted.push(c.ID);
      reclaimed += size;
    }
    this.#o.emit('prune', '', { reclaimed: String(reclaimed) });
    return { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** Docker's container counts for /info. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    const all = this.#o.store.list();
    const running = all.filter((c) => c.State.Status === 'running').length;
    const paused = all.filter((c) => c.State.Status === 'paused').length;
    return { total: all.length, running, paused, stopped: all.length - running - paused };
  }

  // ---- top, stats -----------------------------------------------------------------------

  /**
   * `ps <psArgs>` on the host, keeping the rows whose PID is one of the container's (the runtime's
   * `ps`), as moby daemon/top_unix.go does.
   */
  async top(ref: string, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
    const c = this.#o.store.get(ref);
    if (!isRunning(c)) throw new Conflict(`Container ${c.ID} is not running`);
    const pids = new Set(await this.#conmon(c.Runtime).runtime.ps(c.ID));
    const args = psArgs.trim() === '' ? [] : psArgs.trim().split(/\s+/);
    let out: string;
    try {
      out = (await execCommand('ps', args)).stdout;
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? messageOf(err);
      throw new System(`ps: exit status ${(err as { code?: number }).code ?? 1}: ${stderr.trim()}`, { cause: err });
    }
    return parsePs(out, pids);
  }

  /**
   * One stats reading (then one per second while `stream`), written through `send` until
   * `signal` aborts. As moby's stats collector: a container that is not running streams empty
   * readings (name and ID only) for as long as it exists, and the stream ends when it is removed.
   */
  async stats(ref: string, o: { stream: boolean; oneShot: boolean; signal?: AbortSignal; send: (s: StatsResponse) => Promise<void> }): Promise<void> {
    const c = this.#o.store.get(ref);
    const aborted = (): boolean => o.signal?.aborted === true;
    for (;;) {
      const cur = this.#o.store.find(c.ID);
      if (cur === undefined) return;
      const running = isRunning(cur) && cur.State.Pid > 0;
      const s = running
        ? await this.#stats.read({ id: c.ID, name: cur.Name, pid: cur.State.Pid, firstDelayMs: o.oneShot ? 0 : 100, hostNetwork: cur.HostConfig.NetworkMode === 'host' })
        : emptyStats(cur.Name, c.ID);
      if (!running) this.#stats.forget(c.ID);
      await o.send(s);
      if (!o.stream || aborted()) return;
      try {
        await sleep(1000, undefined, { signal: o.signal });
      } catch (err) {
        if (aborted()) return;
        throw err;
      }
    }
  }

  /** SizeRw (the writable layer) and SizeRootFs (plus the image), for `ps -s` and `inspect -s`. */
  async sizes(ref: string): Promise<{ SizeRw: number; SizeRootFs: number }> {
    const c = this.#o.store.get(ref);
    const rw = await dirSize(rootfsPaths(this.#o.store.dir(c.ID)).upper);
    const image = await this.#o.images.size(c.Image).catch((err: unknown) => {
      if (isNotFound(err)) return 0;
      throw err;
    });
    return { SizeRw: rw, SizeRootFs: rw + image };
  }

  /** SIGTERM (or the stop signal), then SIGKILL after `timeout` seconds; NotModified when not running. */
  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.#o.store.get(ref);
    if (await this.#stopRestarting(c)) return;
    if (!isRunning(c)) throw new NotModified(`container ${c.ID} is already stopped`);
    c.HasBeenManuallyStopped = true;
    const sig = parseSignal(opts.signal || c.Config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? c.Config.StopTimeout ?? 10;
    const exited = this.#nextExit(c.ID);
    await this.#signal(c, sig);
    this.#emit(c, 'kill', { signal: String(sig) });
    if (timeout < 0 || (await withTimeout(exited, timeout * 1000)) !== undefined) {
      await exited;
    } else {
      this.#o.logger.info('container did not stop in time; killing it', { id: c.ID, timeout });
      await this.#signal(c, 9);
      this.#emit(c, 'kill', { signal: '9' });
      if ((await withTimeout(exited, 30_000)) === undefined) throw new System(`container ${c.ID} did not exit after SIGKILL`);
    }
    this.#emit(c, 'stop');
  }

  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.#o.store.get(ref);
    await this.stop(c.ID, opts).catch((err: unknown) => {
      if (!(err instanceof NotModified)) throw err;
    });
    await this.start(c.ID);
    this.#emit(c, 'restart');
  }

  // ---- wait -----------------------------------------------------------------------------

  /**
   * Registers a waiter now (so that the caller can acknowledge before the event can happen)
   * and returns its result. NotFound at once for an unknown container.
   */
  wait(ref: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): { result: Promise<ContainerWaitResponse> } {
    const c = this.#o.store.get(ref);
    const live = this.#liveOf(c.ID);
    let p: Promise<number>;
    if (condition === 'removed') p = new Promise((resolve) => live.removeWaiters.push(resolve));
    else if (condition === 'not-running' && !isRunning(c)) p = Promise.resolve(c.State.ExitCode);
    else p = this.#nextExit(c.ID);
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
    return { result: Promise.race([p, aborted]).then((code) => ({ StatusCode: code, Error: null })) };
  }

  // ---- remove ---------------------------------------------------------------------------

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c = this.#o.store.get(ref);
    if (c.State.Status === 'restarting' && opts.force !== true) {
      throw new Conflict('You cannot remove a restarting container. Stop the container before attempting removal or force remove');
    }
    // The restart timer goes first; a policy start that already won leaves it running, killed below.
    if (c.State.Status === 'restarting') await this.#stopRestarting(c, { quiet: true });
    if (isRunning(c)) {
      if (opts.force !== true) {
        throw new Conflict(`cannot remove container "${c.Name}": container is ${c.State.Status}: stop the container before removing or force remove`);
      }
      // Its exit must not schedule a restart of a container being removed.
      c.HasBeenManuallyStopped = true;
      const exited = this.#nextExit(c.ID);
      await this.#signal(c, 9);
      if ((await withTimeout(exited, 30_000)) === undefined) throw new System(`container ${c.ID} did not exit after SIGKILL`);
      // An AutoRemove container may be gone already (removed by its exit handler).
      if (this.#o.store.find(c.ID) === undefined) return;
    }
    await this.#lock.run(c.ID, async () => {
      if (this.#o.store.find(c.ID) !== c) throw new NotFound(`No such container: ${ref}`);
      if (c.State.Status === 'removing') throw new Conflict(`removal of container ${c.ID} is already in progress`);
      setRemoving(c);
      await this.#o.store.save(c);
      await this.#finishRemove(c, opts.volumes === true);
    });
  }

  async #finishRemove(c: ContainerRecord, volumes = false): Promise<void> {
    const paths = this.#paths(c.ID);
    const rt = this.#o.runtimes.get(c.Runtime)?.runtime;
    // Usually the exit handler deleted (or is deleting) the runtime's state already; exec'ing it again costs ~15 ms.
    if (rt !== undefined && !this.#runtimeDeletes.has(c.ID) && existsSync(join(rt.root, c.ID))) {
      await rt.delete(c.ID, { force: true }).catch((err: unknown) => {
        if (!isNotFound(err)) this.#o.logger.warn('runtime delete at removal', { id: c.ID, err: messageOf(err) });
      });
    }
    this.#cancelRestart(c.ID);
    this.#health.stop(c.ID);
    this.#backoff.delete(c.ID);
    await this.#o.network?.removed(c);
    // The record goes with one rename; unmounting and deleting the files follow in the background.
    const trash = await this.#o.store.delete(c);
    this.#background(`removing the files of container ${c.ID}`, async () => {
      if (trash !== undefined) await removeContainerDir(trash);
      await rm(paths.bundle, { recursive: true, force: true });
      await rm(paths.exitFile, { force: true });
    });
    await this.#o.mounts?.removed(c, { volumes });
    this.#emit(c, 'destroy');
    this.#stats.forget(c.ID);
    const live = this.#liveOf(c.ID);
    this.#live.delete(c.ID);
    for (const w of live.removeWaiters) w(c.State.ExitCode);
    for (const f of live.onRemoved) f();
  }

  // ---- queries --------------------------------------------------------------------------

  #statusText(c: ContainerRecord): string {
    const now = this.#now.getTime();
    switch (c.State.Status) {
      case 'running': {
        const up = `Up ${humanDuration(now - Date.parse(c.State.StartedAt))}`;
        const h = c.State.Health?.Status;
        return h === undefined ? up : h === 'starting' ? `${up} (health: starting)` : `${up} (${h})`;
      }
      case 'paused':
        return `Up ${humanDuration(now - Date.parse(c.State.StartedAt))} (Paused)`;
      case 'exited':
        return `Exited (${c.State.ExitCode}) ${humanDuration(now - Date.parse(c.State.FinishedAt))} ago`;
      case 'restarting':
        return `Restarting (${c.State.ExitCode}) ${humanDuration(now - Date.parse(c.State.FinishedAt))} ago`;
      case 'removing':
        return 'Removal In Progress';
      case 'dead':
        return 'Dead';
      default:
        return 'Created';
    }
  }

  list(opts: { all?: boolean; limit?: number; filters?: Filters } = {}): ContainerSummary[] {
    const filters = opts.filters ?? new Map<string, string[]>();
    for (const k of filters.keys()) {
      if (!LIST_FILTERS.includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    }
    for (const v of filters.get('status') ?? []) {
      if (!CONTAINER_STATES.includes(v)) throw new InvalidParameter(`invalid filter 'status=${v}'`);
    }
    for (const v of filters.get('health') ?? []) {
      if (!HEALTH_STATES.includes(v)) throw new InvalidParameter(`unrecognized filter value for health: ${v}`);
    }
    // before/since name containers (moby: the newest `before` and the oldest `since` bound the list).
    const created = (refs: string[] | undefined): number[] => (refs ?? []).map((r) => Date.parse(this.#o.store.get(r).Created));
    const before = created(filters.get('before'));
    const since = created(filters.get('since'));
    let all = opts.all === true || (opts.limit !== undefined && opts.limit > 0);
    if (filters.has('status') || filters.has('exited') || before.length > 0 || since.length > 0) all = true;
    let list = this.#o.store
      .list()
      .filter((c) => all || isRunning(c) || c.State.Status === 'restarting')
      .filter((c) => matchFilters(c, filters))
      .filter((c) => before.every((t) => Date.parse(c.Created) < t) && since.every((t) => Date.parse(c.Created) > t))
      .filter((c) => !filters.has('network') || (this.#o.network?.onNetwork(c, filters.get('network') ?? []) ?? false))
      .sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || b.ID.localeCompare(a.ID));
    if (opts.limit !== undefined && opts.limit > 0) list = list.slice(0, opts.limit);
    return list.map((c) => ({
      Id: c.ID,
      Names: [c.Name],
      Image: c.Config.Image ?? c.Image,
      ImageID: c.Image,
      Command: commandLine(c),
      Created: Math.floor(Date.parse(c.Created) / 1000),
      Ports: [],
      Labels: c.Config.Labels ?? {},
      State: c.State.Status,
      Status: this.#statusText(c),
      HostConfig: { NetworkMode: c.HostConfig.NetworkMode ?? 'default' },
      NetworkSettings: { Networks: {} },
      ...this.#o.network?.summary(c),
      Mounts: this.#o.mounts?.inspect(c) ?? [],
    }));
  }

  inspect(ref: string): ContainerInspect {
    const c = this.#o.store.get(ref);
    const dir = this.#o.store.dir(c.ID);
    const rp = rootfsPaths(dir);
    const lowers = [...c.Layers].reverse().map((l) => this.#o.images.layerDir(l));
    const s = c.State;
    return {
      Id: c.ID,
      Created: c.Created,
      Path: c.Path,
      Args: c.Args,
      State: {
        Status: s.Status,
        Running: isRunning(c),
        Paused: s.Status === 'paused',
        Restarting: s.Status === 'restarting',
        OOMKilled: s.OOMKilled,
        Dead: s.Status === 'dead',
        Pid: s.Pid,
        ExitCode: s.ExitCode,
        Error: s.Error,
        StartedAt: s.StartedAt,
        FinishedAt: s.FinishedAt,
        ...(s.Health !== undefined ? { Health: s.Health } : {}),
      },
      Image: c.Image,
      ResolvConfPath: join(dir, 'resolv.conf'),
      HostnamePath: join(dir, 'hostname'),
      HostsPath: join(dir, 'hosts'),
      LogPath: this.#logPath(c.ID),
      Name: c.Name,
      RestartCount: c.RestartCount,
      Driver: 'overlay2',
      Platform: 'linux',
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: '',
      ExecIDs: this.#o.execIds?.(c.ID) ?? null,
      HostConfig: c.HostConfig,
      GraphDriver: {
        Name: 'overlay2',
        Data: { LowerDir: (lowers.length > 0 ? lowers : [rp.empty]).join(':'), MergedDir: rp.merged, UpperDir: rp.upper, WorkDir: rp.work },
      },
      Mounts: this.#o.mounts?.inspect(c) ?? [],
      Config: c.Config,
      NetworkSettings: (this.#o.network?.settings(c) as NetworkSettings | undefined) ?? {
        Bridge: '',
        SandboxID: '',
        SandboxKey: '',
        Ports: {},
        HairpinMode: false,
        LinkLocalIPv6Address: '',
        LinkLocalIPv6PrefixLen: 0,
        SecondaryIPAddresses: null,
        SecondaryIPv6Addresses: null,
        EndpointID: '',
        Gateway: '',
        GlobalIPv6Address: '',
        GlobalIPv6PrefixLen: 0,
        IPAddress: '',
        IPPrefixLen: 0,
        IPv6Gateway: '',
        MacAddress: '',
        Networks: {},
      },
    };
  }

  // ---- restart policies -----------------------------------------------------------------

  /**
   * Marks the container restarting and starts it after Docker's back-off: 100 ms, doubling per
   * restart up to a minute, back to 100 ms once a run lasted 10 s. Called under the container's lock.
   */
  #scheduleRestart(c: ContainerRecord, ranMs: number | undefined): void {
    let delay = this.#backoff.get(c.ID) ?? 0;
    if (ranMs === undefined || ranMs >= 10_000) delay = 0;
    delay = delay === 0 ? 100 : Math.min(delay * 2, 60_000);
    this.#backoff.set(c.ID, delay);
    c.State = { ...c.State, Status: 'restarting' };
    void this.#o.store.save(c).catch((err: unknown) => this.#o.logger.warn('saving restarting state', { id: c.ID, err: messageOf(err) }));
    this.#cancelRestart(c.ID);
    this.#restartTimers.set(c.ID, setTimeout(() => {
      this.#restartTimers.delete(c.ID);
      void this.#policyRestart(c.ID);
    }, delay));
  }

  async #policyRestart(id: string): Promise<void> {
    const c = this.#o.store.find(id);
    if (c === undefined || c.State.Status !== 'restarting') return;
    c.RestartCount++;
    try {
      await this.start(id, { policy: true });
      if (isRunning(c)) this.#emit(c, 'restart');
    } catch (err) {
      this.#o.logger.warn('restart policy: start failed', { id, err: messageOf(err) });
      if (c.State.Status === 'restarting') {
        setExited(c, { exitCode: c.State.ExitCode, at: this.#now, error: c.State.Error || messageOf(err) });
        await this.#o.store.save(c);
      }
    }
  }

  #cancelRestart(id: string): void {
    clearTimeout(this.#restartTimers.get(id));
    this.#restartTimers.delete(id);
  }

  /** stop/kill of a container waiting to be restarted: it stays exited. True if it was restarting. */
  async #stopRestarting(c: ContainerRecord, o: { quiet?: boolean } = {}): Promise<boolean> {
    if (c.State.Status !== 'restarting') return false;
    let stopped = false;
    await this.#lock.run(c.ID, async () => {
      this.#cancelRestart(c.ID);
      // A policy start that held the lock may have won: then it is running and is stopped as such.
      if (isRunning(c)) return;
      c.HasBeenManuallyStopped = true;
      if (c.State.Status === 'restarting') c.State = { ...c.State, Status: 'exited' };
      await this.#o.store.save(c);
      stopped = true;
    });
    if (stopped && o.quiet !== true) this.#emit(c, 'stop');
    return stopped;
  }

  // ---- filesystem access, update -------------------------------------------------------

  /**
   * Runs `fn` on the container's rootfs (merged, upper and the lower dirs, top first), under the
   * container's lock: a start, stop's exit handling, pause, unpause or removal waits for it. A
   * container that is not running gets its overlay mounted for the call.
   *
   * With `freeze`, a running container's processes are frozen (the runtime's freezer cgroup) for
   * the call, so that none of them can swap a path component for a symlink between our resolving
   * a path inside the root and our opening it by its host path (CVE-2018-15664; podman's default).
   * The freeze is the daemon's own: State stays `running` and no pause/unpause event is emitted;
   * a container the user paused stays paused. See docs/adr/0014-cp-freeze.md.
   */
  async withRootfs<T>(ref: string, fn: (c: ContainerRecord, rootfs: RootfsPaths, lowers: string[]) => Promise<T>, o: { freeze?: boolean } = {}): Promise<T> {
    const c = this.#o.store.get(ref);
    const rp = rootfsPaths(this.#o.store.dir(c.ID));
    const lowers = [...c.Layers].reverse().map((l) => this.#o.images.layerDir(l));
    return this.#lock.run(c.ID, async () => {
      if (c.State.Status === 'removing' || this.#o.store.find(c.ID) !== c) throw new NotFound(`No such container: ${ref}`);
      if (isRunning(c)) return o.freeze === true ? this.#frozen(c, () => fn(c, rp, lowers)) : fn(c, rp, lowers);
      await mountRootfs(rp, lowers);
      try {
        return await fn(c, rp, lowers);
      } finally {
        await unmountRootfs(rp);
      }
    });
  }

  /** Runs `fn` with a running container frozen (the caller holds its lock); a paused one stays as it is. */
  async #frozen<T>(c: ContainerRecord, fn: () => Promise<T>): Promise<T> {
    if (c.State.Status !== 'running') return fn(); // paused by the user: already frozen, and stays so
    const runtime = (await cgroupFreezer(c.State.Pid)) ?? this.#conmon(c.Runtime).runtime;
    return runFrozen({ runtime, id: c.ID, logger: this.#o.logger }, fn);
  }

  /**
   * `docker update`: resource fields that are set (non-zero; PidsLimit non-null) replace the
   * stored ones and reach a running container through the runtime's `update`; a RestartPolicy
   * with a name replaces the policy (moby daemon/update.go).
   */
  async update(ref: string, u: HostConfig): Promise<{ Warnings: string[] }> {
    const c = this.#o.store.get(ref);
    await this.#lock.run(c.ID, async () => {
      const hc: HostConfig = { ...c.HostConfig };
      for (const k of ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'BlkioWeight']) {
        if (u[k] !== undefined && u[k] !== null && u[k] !== 0 && u[k] !== '') hc[k] = u[k];
      }
      if (typeof u.PidsLimit === 'number') hc.PidsLimit = u.PidsLimit;
      if (typeof u.NanoCpus === 'number' && u.NanoCpus > 0) Object.assign(hc, { CpuQuota: 0, CpuPeriod: 0 });
      const oldSwap = typeof c.HostConfig.MemorySwap === 'number' ? c.HostConfig.MemorySwap : 0;
      if (typeof u.Memory === 'number' && u.Memory > 0 && !(typeof u.MemorySwap === 'number' && u.MemorySwap !== 0) && oldSwap > 0 && u.Memory > oldSwap) {
        throw new Conflict('Cannot update container: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
      }
      if (u.RestartPolicy !== undefined && u.RestartPolicy.Name !== '') {
        if (hc.AutoRemove === true && u.RestartPolicy.Name !== 'no') throw new InvalidParameter("Restart policy cannot be updated because AutoRemove is enabled for the container");
        hc.RestartPolicy = u.RestartPolicy;
      }
      if (isRunning(c)) {
        const spec: Spec = { ociVersion: '1.0.2' };
        withResources(resourceOptions(hc))(spec);
        await this.#conmon(c.Runtime).runtime.update(c.ID, spec.linux?.resources ?? {});
      }
      c.HostConfig = hc;
      await this.#o.store.save(c);
    });
    this.#emit(c, 'update');
    return { Warnings: [] };
  }

  // ---- exec and resize -----------------------------------------------------------------

  /** A running container for exec: Conflict when it is not running or is paused. */
  execTarget(ref: string): { container: ContainerRecord; conmon: Conmon; paths: ConmonPaths; rootfs: string } {
    const c = this.#o.store.get(ref);
    if (c.State.Status === 'paused') throw new Conflict(`Container ${c.ID} is paused, unpause the container before exec`);
    if (!isRunning(c)) throw new Conflict(`Container ${c.ID} is not running`);
    return { container: c, conmon: this.#conmon(c.Runtime), paths: this.#paths(c.ID), rootfs: rootfsPaths(this.#o.store.dir(c.ID)).merged };
  }

  find(id: string): ContainerRecord | undefined {
    return this.#o.store.find(id);
  }

  /** Resizes a running container's pty through conmon's ctl fifo (a no-op without a TTY). */
  async resize(ref: string, size: { height: number; width: number }): Promise<void> {
    const c = this.#o.store.get(ref);
    if (!isRunning(c)) throw new Conflict(`Container ${c.ID} is not running`);
    if (c.Config.Tty !== true) return;
    const paths = this.#paths(c.ID);
    // The fifo exists once conmon is up; writing to a missing path would create a plain file.
    if (!existsSync(paths.ctlFifo)) throw new Conflict(`Container ${c.ID} is not running`);
    await this.#conmon(c.Runtime).resize(paths, size);
  }

  // ---- logs and attach ------------------------------------------------------------------

  /** The log in batches of messages (see readLog); NotImplemented for a container whose driver keeps none. */
  logs(ref: string, o: LogsOptions): { tty: boolean; messages: AsyncIterable<LogBatch> } {
    const c = this.#o.store.get(ref);
    if (!o.stdout && !o.stderr) throw new InvalidParameter('Bad parameters: you must choose at least one stream');
    if (this.#logPolicy(c).driver === 'none') throw new NotImplemented('configured logging driver does not support reading');
    const stop = isRunning(c) ? this.#nextExit(c.ID) : Promise.resolve(0);
    const source = readLog(this.#logPath(c.ID), {
      ...(o.follow ? { follow: { stop, ...(o.signal ? { signal: o.signal } : {}) } } : {}),
      ...(o.tail !== undefined ? { tail: o.tail } : {}),
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.until !== undefined ? { until: o.until } : {}),
    });
    async function* filtered(): AsyncGenerator<LogBatch> {
      if (o.stdout && o.stderr) return yield* source;
      for await (const batch of source) yield batch.select((i) => (batch.streams[i] === STDOUT ? o.stdout : o.stderr));
    }
    return { tty: c.Config.Tty === true, messages: filtered() };
  }

  attach(ref: string, o: AttachOptions): AttachTarget {
    const c = this.#o.store.get(ref);
    const tty = c.Config.Tty === true;
    const conmon = this.#conmon(c.Runtime);
    const detachKeys = parseDetachKeys(o.detachKeys !== undefined && o.detachKeys !== '' ? o.detachKeys : DEFAULT_DETACH_KEYS);
    const pump = async (session: AttachSession, conn: Duplex): Promise<void> => {
      await pumpSession(session, conn, {
        detachKeys,
        tty,
        stdin: o.stdin && c.Config.OpenStdin === true,
        stdout: o.stdout,
        stderr: o.stderr,
        closeStdinOnEnd: c.Config.StdinOnce === true,
      });
      if (!conn.destroyed) conn.end();
    };
    return {
      tty,
      run: async (conn) => {
        if (!o.stream) {
          conn.end();
          return;
        }
        const cur = this.#o.store.find(c.ID);
        if (cur !== undefined && isRunning(cur)) {
          await pump(await conmon.attach(this.#paths(c.ID)), conn);
          return;
        }
        // Not started yet (docker run attaches before start): start connects us.
        const live = this.#liveOf(c.ID);
        await new Promise<void>((resolve) => {
          let done = false;
          const finish = (): void => {
            if (!done) {
              done = true;
              resolve();
            }
          };
          live.pendingAttach.push(async (paths, signal) => {
            let session: AttachSession;
            try {
              session = await conmon.attach(paths, { waitMs: 60_000, signal });
            } catch (err) {
              if (!conn.destroyed) conn.end();
              finish();
              throw err;
            }
            void pump(session, conn).finally(finish);
          });
          live.onRemoved.push(() => {
            if (!conn.destroyed) conn.end();
            finish();
          });
          conn.once('close', finish);
        });
      },
    };
  }
}

/** While the daemon runs: always, unless-stopped, on-failure (non-zero, under its maximum). */
function policyWantsRestart(c: ContainerRecord, code: number): boolean {
  const p = c.HostConfig.RestartPolicy;
  if (p === undefined) return false;
  if (p.Name === 'always' || p.Name === 'unless-stopped') return true;
  const max = p.MaximumRetryCount ?? 0;
  return p.Name === 'on-failure' && code !== 0 && (max === 0 || c.RestartCount < max);
}

/** At daemon start-up (moby restore): `always` even after a manual stop; the others only if not stopped by hand. */
function shouldRestartAtStartup(c: ContainerRecord): boolean {
  if (c.HostConfig.RestartPolicy?.Name === 'always') return true;
  return c.HasBeenManuallyStopped !== true && policyWantsRestart(c, c.State.ExitCode);
}

const LIST_FILTERS = ['status', 'name', 'id', 'label', 'ancestor', 'exited', 'health', 'before', 'since', 'volume', 'network'];
const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];
const HEALTH_STATES = ['starting', 'healthy', 'unhealthy', 'none'];

function matchFilters(c: ContainerRecord, f: Filters): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const vals = f.get(key);
    return vals === undefined || vals.length === 0 || vals.some(pred);
  };
  return (
    any('status', (v) => v === c.State.Status) &&
    any('name', (v) => new RegExp(v).test(c.Name)) &&
    any('id', (v) => c.ID.startsWith(v)) &&
    any('exited', (v) => c.State.Status === 'exited' && String(c.State.ExitCode) === v) &&
    any('health', (v) => (c.State.Health?.Status ?? 'none') === v) &&
    any('ancestor', (v) => c.Config.Image === v || c.Image === v || c.Image === `sha256:${v}`) &&
    // moby: a volume's name (a bind's source) or a mount's destination.
    any('volume', (v) => Object.values(c.MountPoints ?? {}).some((m) => (m.Name ?? m.Source) === v || m.Destination === v)) &&
    any('label', (v) => {
      const [k, val] = v.split('=');
      const labels = c.Config.Labels ?? {};
      return val === undefined ? k! in labels : labels[k!] === val;
    })
  );
}

function matchLabels(c: ContainerRecord, want: readonly string[], positive: boolean): boolean {
  const labels = c.Config.Labels ?? {};
  return want.every((v) => {
    const [k, val] = v.split('=');
    const has = val === undefined ? k! in labels : labels[k!] === val;
    return positive ? has : !has;
  });
}

/** `until` of prune filters: a Unix timestamp, an RFC 3339 time or a Go duration ago (`10m`, `1h30m`). */
function parseUntil(v: string, now: Date): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v);
  if (dur !== null && v !== '') return now.getTime() - ((Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60 + Number(dur[3] ?? 0)) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidParameter(`invalid filter 'until=${v}'`);
  return t;
}

/** Bytes in the files under `dir` (hard links once), as Docker's directory.Size; 0 if it is missing. */
export async function dirSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      const st = await lstat(p).catch((err: unknown) => {
        if (isErrno(err, 'ENOENT')) return undefined;
        throw err;
      });
      if (st === undefined) continue;
      if (st.isDirectory()) {
        await walk(p);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}

/** moby parsePSOutput: the header's fields are the titles; rows whose PID column is one of `pids`. */
export function parsePs(out: string, pids: ReadonlySet<number>): { Titles: string[]; Processes: string[][] } {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new InvalidParameter("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const pid = Number(fields[pidIndex]);
    if (!pids.has(pid)) continue;
    // The last title (CMD, COMMAND, ARGS) takes the rest of the line, spaces included.
    const row = fields.slice(0, titles.length - 1);
    row.push(fields.slice(titles.length - 1).join(' '));
    processes.push(row);
  }
  return { Titles: titles, Processes: processes };
}

/** The value of `p` if it settles within `ms`, else undefined. */
async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export { ZERO_TIME };

/** A removed container's directory: its rootfs unmounted first, so the deletion cannot reach through the mount. */
async function removeContainerDir(dir: string): Promise<void> {
  await unmountRootfs(rootfsPaths(dir));
  await rm(dir, { recursive: true, force: true });
}
