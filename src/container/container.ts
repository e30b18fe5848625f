/**
 * The container record: what `config.v2.json` (the container, its merged config and state)
 * and `hostconfig.json` hold on disk, with Docker's field names so inspect is mostly a copy.
 *
 * State machine (Docker's): created → running → exited → running … ; any non-running state →
 * removing → gone; a container whose cleanup failed is dead. `paused` and `restarting` are
 * reserved for pause/unpause and restart policies.
 */
import type { ContainerConfigBody, ContainerStatus, HostConfig } from '../api/containers.js';
import { Conflict } from '../errdefs/index.js';
import type { Digest } from '../util/digest.js';
import type { MountPointRecord } from './mount-point.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** State.Health (moby container/health.go): present while the container has a health check. */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  /** The last five probes. */
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

export interface ContainerStateRecord {
  Status: ContainerStatus;
  Pid: number;
  /** The conmon monitoring the running process (not in Docker's shape; kept for restarts). */
  ConmonPid: number;
  ExitCode: number;
  Error: string;
  OOMKilled: boolean;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

export interface ContainerRecord {
  ID: string;
  /** With the leading slash, as Docker stores it: `/web`. */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  /** The image's ID (config digest). */
  Image: Digest;
  /** Chain IDs of the image's layers, bottom first: the container's lower dirs, held from GC. */
  Layers: Digest[];
  Config: ContainerConfigBody;
  State: ContainerStateRecord;
  /** The OCI runtime that runs it (HostConfig.Runtime or the daemon's default). */
  Runtime: string;
  RestartCount: number;
  /** Set by stop and kill, cleared by start: restart policies leave such a container alone (Docker's field). */
  HasBeenManuallyStopped?: boolean;
  /** Binds, volumes and `--mount` tmpfs by destination (engine/mounts.ts); absent when there are none. */
  MountPoints?: Record<string, MountPointRecord>;
  /** Stored in hostconfig.json. */
  HostConfig: HostConfig;
}

export function initialState(): ContainerStateRecord {
  return { Status: 'created', Pid: 0, ConmonPid: 0, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME };
}

export const isRunning = (c: ContainerRecord): boolean => c.State.Status === 'running' || c.State.Status === 'paused';

export function setRunning(c: ContainerRecord, o: { pid: number; conmonPid: number; at: Date }): void {
  if (isRunning(c) || c.State.Status === 'removing') throw new Conflict(`container ${c.ID} is ${c.State.Status}`);
  c.State = { ...c.State, Status: 'running', Pid: o.pid, ConmonPid: o.conmonPid, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: o.at.toISOString() };
}

export function setExited(c: ContainerRecord, o: { exitCode: number; at: Date; error?: string }): void {
  c.State = { ...c.State, Status: 'exited', Pid: 0, ConmonPid: 0, ExitCode: o.exitCode, Error: o.error ?? '', FinishedAt: o.at.toISOString() };
}

/** A start that failed before the process ran: Docker keeps the status (created or exited) and records the error. */
export function setStartFailed(c: ContainerRecord, o: { exitCode: number; error: string }): void {
  c.State = { ...c.State, Pid: 0, ConmonPid: 0, ExitCode: o.exitCode, Error: o.error };
}

export function setRemoving(c: ContainerRecord): void {
  if (isRunning(c)) throw new Conflict(`container ${c.ID} is ${c.State.Status}`);
  c.State = { ...c.State, Status: 'removing' };
}

/** `docker ps` COMMAND: the path and the arguments, those with spaces quoted (moby daemon/list.go). */
export function commandLine(c: Pick<ContainerRecord, 'Path' | 'Args'>): string {
  if (c.Args.length === 0) return c.Path;
  return `${c.Path} ${c.Args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}
