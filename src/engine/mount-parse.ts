/**
 * Parsing of the mount requests a container is created with, with Docker's rules and messages
 * (moby daemon/volume/mounts linux_parser.go): `-v` specs (HostConfig.Binds), `--mount`
 * (HostConfig.Mounts) and `--volumes-from` specs. Pure: nothing here touches the disk except the
 * existence check of a `--mount type=bind` source, which Docker makes at create too.
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import type { MountSpec } from '../api/volumes.js';
import type { MountPointRecord } from '../container/mount-point.js';
import { InvalidParameter } from '../errdefs/index.js';

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
export const DEFAULT_PROPAGATION = 'rprivate';

/** A parsed request: a volume mount's Source is the volume name ('' for an anonymous one). */
export type MountRequest = MountPointRecord;

/** moby linuxValidMountMode: known words, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = [RW_MODES, LABEL_MODES, PROPAGATION_MODES, COPY_MODES, CONSISTENCY_MODES].findIndex((s) => s.has(o));
    if (kind < 0) return false;
    counts[kind]!++;
  }
  return counts.every((c) => c <= 1);
}

function mountConfigError(type: string, why: string): Error {
  return new InvalidParameter(`invalid mount config for type "${type}": ${why}`);
}

/** The target checks every mount type shares: present, absolute, not `/`. */
function validateTarget(type: string, target: string): void {
  if (target === '') throw mountConfigError(type, 'field Target must not be empty');
  if (posix.normalize(target.replace(/\\/g, '/')) === '/') throw mountConfigError(type, "invalid specification: destination can't be '/'");
  if (!target.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${target}' mount path must be absolute`);
}

export function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** One `-v` spec: `[source:]target[:mode]`; an absolute source is a bind, anything else a volume name. */
export function parseBind(raw: string): MountRequest {
  const parts = raw.split(':');
  const arr = parts.length > 4 ? [...parts.slice(0, 3), parts.slice(3).join(':')] : parts;
  const invalid = (): Error => new InvalidParameter(`invalid volume specification: '${raw}'`);
  if (arr[0] === '') throw invalid();
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) target = arr[0]!;
  else if (arr.length === 2) {
    // `/foo:rw` is a destination with a mode: a volume cannot have one.
    if (validMountMode(arr[1]!)) throw invalid();
    [source, target] = [arr[0]!, arr[1]!];
  } else if (arr.length === 3) [source, target, mode] = [arr[0]!, arr[1]!, arr[2]!];
  else throw invalid();
  if (!validMountMode(mode)) throw new InvalidParameter(`invalid mode: ${mode}`);
  const words = mode === '' ? [] : mode.split(',');
  const type = source.startsWith('/') ? 'bind' : 'volume';
  try {
    validateTarget(type, target);
  } catch (err) {
    throw new InvalidParameter(`invalid volume specification: '${raw}': ${(err as Error).message}`, { cause: err });
  }
  const propagation = words.find((w) => PROPAGATION_MODES.has(w)) ?? '';
  const rw = !words.includes('ro');
  if (type === 'bind') {
    return { Type: 'bind', Source: cleanPath(source), Destination: cleanPath(target), RW: rw, Mode: mode, Propagation: propagation || DEFAULT_PROPAGATION, CopyData: false, Named: true };
  }
  return {
    Type: 'volume',
    Source: source,
    Destination: cleanPath(target),
    RW: rw,
    Mode: mode,
    Propagation: propagation,
    CopyData: !words.includes('nocopy'),
    Named: source !== '',
  };
}

/** moby ConvertTmpfsOptions: `ro`, `mode=`, `size=` (with the largest whole unit), then exec/noexec. */
export function tmpfsData(o: MountSpec['TmpfsOptions'], readOnly: boolean): string {
  const out: string[] = [];
  if (readOnly) out.push('ro');
  if (o?.Mode !== undefined && o.Mode !== 0) out.push(`mode=${o.Mode.toString(8)}`);
  if (o?.SizeBytes !== undefined && o.SizeBytes !== 0) {
    let size = o.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
      if (size % d === 0) {
        size /= d;
        suffix = s;
        break;
      }
    }
    out.push(`size=${size}${suffix}`);
  }
  for (const opt of o?.Options ?? []) {
    if (opt.length < 1 || opt.length > 2) throw new Error('invalid option array length');
    if (opt[0] !== 'exec' && opt[0] !== 'noexec') throw new Error(`invalid option: ${opt[0]}`);
    out.push(opt.length === 1 ? opt[0] : `${opt[0]}=${opt[1]}`);
  }
  return out.join(',');
}

/** One `--mount` (HostConfig.Mounts entry), validated as Docker validates it at create. */
export function parseMountSpec(m: MountSpec): MountRequest {
  const type = m.Type ?? '';
  const target = m.Target ?? '';
  const extra = (field: string): Error => mountConfigError(type, `field ${field} must not be specified`);
  const has = (v: unknown): boolean => v !== undefined && v !== null;
  if (!['bind', 'volume', 'tmpfs'].includes(type)) {
    if (type === 'npipe' || type === 'cluster' || type === 'image') throw new InvalidParameter(`mount type "${type}" is not supported by this daemon`);
    throw mountConfigError(type, 'mount type unknown');
  }
  validateTarget(type, target);
  const dest = cleanPath(target);
  const ro = m.ReadOnly === true;
  if (type === 'bind') {
    const src = m.Source ?? '';
    if (src === '') throw mountConfigError(type, 'field Source must not be empty');
    const prop = m.BindOptions?.Propagation ?? '';
    if (prop !== '' && !PROPAGATION_MODES.has(prop)) throw mountConfigError(type, `invalid propagation mode: ${prop}`);
    if (has(m.VolumeOptions)) throw extra('VolumeOptions');
    if (has(m.TmpfsOptions)) throw extra('TmpfsOptions');
    if (!src.startsWith('/')) throw mountConfigError(type, `invalid mount path: '${src}' mount path must be absolute`);
    const create = m.BindOptions?.CreateMountpoint === true;
    if (!create && !existsSync(src)) throw mountConfigError(type, `bind source path does not exist: ${src}`);
    return {
      Type: 'bind', Source: cleanPath(src), Destination: dest, RW: !ro, Mode: '', Propagation: prop || DEFAULT_PROPAGATION, CopyData: false, Named: true,
      ...(create ? {} : { MustExist: true }), ...(m.BindOptions?.NonRecursive === true ? { NonRecursive: true } : {}),
    };
  }
  if (type === 'volume') {
    if (has(m.BindOptions)) throw extra('BindOptions');
    if (has(m.TmpfsOptions)) throw extra('TmpfsOptions');
    const subpath = m.VolumeOptions?.Subpath ?? '';
    if (subpath !== '') {
      if ((m.Source ?? '') === '') throw mountConfigError(type, 'must not set Subpath when using anonymous volumes');
      // Go's filepath.IsLocal: relative, and never climbing out of the volume.
      const clean = posix.normalize(subpath);
      if (subpath.startsWith('/') || clean === '..' || clean.startsWith('../')) throw mountConfigError(type, 'subpath must be a relative path within the volume');
    }
    const driver = m.VolumeOptions?.DriverConfig?.Name ?? '';
    return {
      Type: 'volume', Source: m.Source ?? '', Destination: dest, RW: !ro, Mode: '', Propagation: '',
      // Docker copies nothing into a subpath mount.
      CopyData: m.VolumeOptions?.NoCopy !== true && subpath === '', Named: (m.Source ?? '') !== '',
      ...(driver !== '' ? { Driver: driver } : {}), ...(subpath !== '' ? { Subpath: subpath } : {}),
    };
  }
  if (has(m.BindOptions)) throw extra('BindOptions');
  if (has(m.VolumeOptions)) throw extra('VolumeOptions');
  if ((m.Source ?? '') !== '') throw extra('Source');
  let data: string;
  try {
    data = tmpfsData(m.TmpfsOptions, ro);
  } catch (err) {
    throw mountConfigError(type, (err as Error).message);
  }
  return { Type: 'tmpfs', Source: '', Destination: dest, RW: !ro, Mode: '', Propagation: '', CopyData: false, Named: false, Data: data };
}

/** `--volumes-from container[:ro|rw]`: the container and whether its mounts stay writable. */
export function parseVolumesFrom(spec: string): { container: string; rw: boolean } {
  if (spec === '') throw new InvalidParameter('volumes-from specification cannot be an empty string');
  const i = spec.indexOf(':');
  if (i < 0) return { container: spec, rw: true };
  const mode = spec.slice(i + 1);
  if (mode === '') return { container: spec.slice(0, i), rw: true };
  const words = mode.split(',');
  // Propagation and copy modes come from the original mounts; they cannot be changed here.
  if (!validMountMode(mode) || words.some((w) => PROPAGATION_MODES.has(w) || COPY_MODES.has(w))) {
    throw new InvalidParameter(`invalid mode: ${mode}`);
  }
  return { container: spec.slice(0, i), rw: !words.includes('ro') };
}
