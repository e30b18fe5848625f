/**
 * Engine API wire types, named after Docker's swagger definitions, fields cased as on the wire.
 * Only what estiba serves today; grow them as endpoints arrive.
 */
import type { Volume } from './volumes.js';
import type { ContainerConfig } from '../oci/image.js';

export interface ErrorResponse {
  message: string;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

export interface GraphDriverData {
  Name: string;
  Data: Record<string, string> | null;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  Container?: string;
  ContainerConfig?: ContainerConfig;
  DockerVersion: string;
  Author: string;
  Config: ContainerConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  VirtualSize?: number;
  GraphDriver: GraphDriverData;
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

export interface HistoryResponseItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export type ImageDeleteResponseItem = { Untagged: string } | { Deleted: string };

export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteResponseItem[] | null;
  SpaceReclaimed: number;
}

/** A progress or result line of streaming endpoints (Docker's jsonmessage.JSONMessage). */
export interface JsonMessage {
  status?: string;
  stream?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message: string };
}

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

export interface SystemVersion {
  Platform: { Name: string };
  Components: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  BuildTime: string;
  Experimental?: boolean;
}

export interface EventActor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface EventMessage {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'service' | 'node' | 'secret' | 'config' | 'builder';
  Action: string;
  Actor: EventActor;
  scope: 'local' | 'swarm';
  time: number;
  timeNano: number;
  /** Deprecated fields older clients read. */
  status?: string;
  id?: string;
  from?: string;
}

export interface SystemDfImage extends ImageSummary {}

export interface SystemDfResponse {
  LayersSize: number;
  Images: SystemDfImage[];
  Containers: unknown[];
  Volumes: Volume[];
  BuildCache: unknown[];
}

/** Filters as the API carries them: `{"key": {"value": true}}` (older clients send `{"key": ["value"]}`). */
export type Filters = Map<string, string[]>;
