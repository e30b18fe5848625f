import { convertSeccompProfile, type DockerSeccompProfile, type SeccompTarget } from '../seccomp-profile.js';
import type { Spec } from '../runtime-spec.js';
import { linuxOf } from './spec-opt.js';

/**
 * Installs a Docker-format seccomp profile, converted for this container. Apply it after the
 * capability mutators: rules are kept or dropped by the container's bounding set (e.g. with
 * CAP_SYS_ADMIN, mount and unshare are allowed). `unconfined` removes any filter.
 */
export function withSeccomp(profile: DockerSeccompProfile | 'unconfined', target: Omit<SeccompTarget, 'capabilities'> = {}): (spec: Spec) => void {
  return (spec) => {
    const linux = linuxOf(spec);
    if (profile === 'unconfined') {
      delete linux.seccomp;
      return;
    }
    const capabilities = spec.process?.capabilities?.bounding ?? [];
    linux.seccomp = convertSeccompProfile(profile, { ...target, capabilities });
  };
}
