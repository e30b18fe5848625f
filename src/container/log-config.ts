/**
 * Docker's `--log-driver` / `--log-opt` for the drivers estiba has: `json-file` (conmon's k8s-file
 * underneath, rotated by the daemon: see docs/adr/0006-logging.md) and `none`. Unlike Docker,
 * json-file is bounded by default ({@link DEFAULT_LOG_OPTS}); `max-size=-1` lifts the bound.
 *
 * @module
 */
import type { LogConfig } from '../api/containers.js';
import { InvalidParameter } from '../errdefs/index.js';

export const DEFAULT_LOG_DRIVER = 'json-file';
/** 3 files of 10 MB: the bound every json-file container gets unless it or the daemon says otherwise. */
export const DEFAULT_LOG_OPTS: Readonly<Record<string, string>> = { 'max-size': '10m', 'max-file': '3' };

/** json-file options Docker accepts; only max-size and max-file act here, the rest are kept and shown. */
const JSON_FILE_OPTS = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);

/** What the daemon does with a container's output. */
export type LogPolicy =
  | { driver: 'json-file'; /** bytes; undefined: never rotate */ maxSize?: number; maxFile: number }
  | { driver: 'none' };

/** docker/go-units RAMInBytes: `10m`, `1.5g`, `512k`, `100` (bytes); binary multiples. */
export function parseByteSize(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(raw.trim());
  if (m === null) throw new InvalidParameter(`invalid size: '${raw}'`);
  const mult = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30, t: 2 ** 40, p: 2 ** 50 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't' | 'p'];
  return Math.floor(Number(m[1]) * mult);
}

/**
 * moby mergeAndVerifyLogConfig: an empty type takes the daemon's; a container of the daemon's
 * type inherits each daemon option it does not set. Then the options are checked for the driver.
 */
export function resolveLogConfig(requested: LogConfig | undefined, daemonDefault: LogConfig): LogConfig {
  const type = requested?.Type === undefined || requested.Type === '' ? daemonDefault.Type : requested.Type;
  const config: Record<string, string> = { ...(requested?.Config ?? {}) };
  if (type === daemonDefault.Type) {
    for (const [k, v] of Object.entries(daemonDefault.Config)) if (!(k in config)) config[k] = v;
  }
  const out = { Type: type, Config: config };
  logPolicy(out);
  return out;
}

/** The policy a (resolved) LogConfig stands for; InvalidParameter with Docker's words when it is not valid. */
export function logPolicy(cfg: LogConfig): LogPolicy {
  switch (cfg.Type) {
    case 'none':
      for (const k of Object.keys(cfg.Config)) throw new InvalidParameter(`unknown log opt '${k}' for none log driver`);
      return { driver: 'none' };
    // Records written before json-file existed here say k8s-file: the same files, unbounded.
    case 'k8s-file':
    case 'json-file': {
      for (const k of Object.keys(cfg.Config)) {
        if (!JSON_FILE_OPTS.has(k)) throw new InvalidParameter(`unknown log opt '${k}' for json-file log driver`);
      }
      const rawSize = cfg.Config['max-size'];
      const maxSize = rawSize === undefined || rawSize === '' || rawSize === '-1' ? undefined : parseByteSize(rawSize);
      if (maxSize !== undefined && maxSize <= 0) throw new InvalidParameter(`invalid size: '${rawSize}'`);
      const rawFile = cfg.Config['max-file'];
      const maxFile = rawFile === undefined || rawFile === '' ? 1 : Number(rawFile);
      if (!Number.isInteger(maxFile)) throw new InvalidParameter(`strconv.Atoi: parsing "${rawFile}": invalid syntax`);
      if (maxFile < 1) throw new InvalidParameter('max-file cannot be less than 1');
      if (maxFile > 1 && maxSize === undefined) throw new InvalidParameter('max-file can only be set if max-size is set');
      return { driver: 'json-file', ...(maxSize !== undefined ? { maxSize } : {}), maxFile };
    }
    default:
      throw new InvalidParameter(`logger: no log driver named '${cfg.Type}' is registered`);
  }
}
