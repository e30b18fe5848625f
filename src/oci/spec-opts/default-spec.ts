import { OCI_VERSION, type Spec } from '../runtime-spec.js';

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface DefaultSpecOptions {
  /** The root filesystem: absolute, or relative to the bundle (runc's convention is `rootfs`). */
  rootfs: string;
  args: string[];
  /** `KEY=value` entries. A PATH is added when none is given, as Docker does. */
  env?: string[];
  /** Default `/`. */
  cwd?: string;
  terminal?: boolean;
  hostname?: string;
  user?: { uid: number; gid: number; additionalGids?: number[]; umask?: number };
  readonlyRootfs?: boolean;
}

/**
 * The process, root and hostname of a container; everything else (mounts, capabilities,
 * namespaces, cgroups, seccomp) comes from the mutators in this folder, so a spec built only
 * with this is not yet isolated.
 */
export function defaultSpec(opts: DefaultSpecOptions): Spec {
  const env = [...(opts.env ?? [])];
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH_ENV);
  const user = opts.user ?? { uid: 0, gid: 0 };
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: opts.terminal ?? false,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.umask !== undefined ? { umask: user.umask } : {}),
        ...(user.additionalGids !== undefined && user.additionalGids.length > 0 ? { additionalGids: [...user.additionalGids] } : {}),
      },
      args: [...opts.args],
      env,
      cwd: opts.cwd === undefined || opts.cwd === '' ? '/' : opts.cwd,
    },
    root: { path: opts.rootfs, readonly: opts.readonlyRootfs ?? false },
    linux: {},
  };
  if (opts.hostname !== undefined && opts.hostname !== '') spec.hostname = opts.hostname;
  return spec;
}
