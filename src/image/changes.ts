import { InvalidParameter } from '../errdefs/index.js';
import type { ContainerConfig } from '../oci/image.js';

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** JSON form (`["a","b"]`) or shell form, which Docker wraps in `/bin/sh -c`. */
function commandArgs(rest: string): string[] {
  const t = rest.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      // Not valid JSON: Docker then treats the text as shell form, and so do we.
    }
  }
  return ['/bin/sh', '-c', t];
}

/** `k=v k2="v 2"` pairs, or the legacy `k v` form for a single pair. */
function keyValues(rest: string, instruction: string): [string, string][] {
  const t = rest.trim();
  if (!t.includes('=')) {
    const sp = t.search(/\s/);
    if (sp < 0) throw new InvalidParameter(`${instruction} requires at least one argument`);
    return [[t.slice(0, sp), t.slice(sp).trim()]];
  }
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/g;
  for (const m of t.matchAll(re)) {
    const v = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? m[5] ?? '');
    out.push([m[1]!, v]);
  }
  return out;
}

/**
 * Apply `--change` instructions (`docker import -c`, `docker commit -c`) to a config.
 * Each change is one Dockerfile instruction line.
 */
export function applyChanges(config: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const out: ContainerConfig = structuredClone(config);
  for (const line of changes) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const m = /^(\S+)\s*(.*)$/s.exec(trimmed);
    const instruction = m![1]!.toUpperCase();
    const rest = m![2] ?? '';
    // Docker names the instruction in lower case here, whatever case it was given in.
    if (!ALLOWED.includes(instruction)) throw new InvalidParameter(`${instruction.toLowerCase()} is not a valid change command`);
    switch (instruction) {
      case 'CMD':
        out.Cmd = commandArgs(rest);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = commandArgs(rest);
        break;
      case 'ENV': {
        const env = [...(out.Env ?? [])];
        for (const [k, v] of keyValues(rest, 'ENV')) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        out.Env = env;
        break;
      }
      case 'LABEL':
        out.Labels = { ...(out.Labels ?? {}), ...Object.fromEntries(keyValues(rest, 'LABEL')) };
        break;
      case 'EXPOSE': {
        const ports = { ...(out.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        out.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(out.Volumes ?? {}) };
        const t = rest.trim();
        const list = t.startsWith('[') ? (JSON.parse(t) as string[]) : t.split(/\s+/);
        for (const v of list) vols[v] = {};
        out.Volumes = vols;
        break;
      }
      case 'USER':
        out.User = rest.trim();
        break;
      case 'WORKDIR':
        out.WorkingDir = rest.trim();
        break;
      case 'STOPSIGNAL':
        out.StopSignal = rest.trim();
        break;
      case 'ONBUILD':
        out.OnBuild = [...(out.OnBuild ?? []), rest.trim()];
        break;
    }
  }
  return out;
}
