import type { Linux, LinuxResources, Process, Spec } from '../runtime-spec.js';

/**
 * A mutator of an OCI runtime spec (containerd's `oci.SpecOpts`, nerdctl's `run_*.go`): each
 * concern lives in its own file and changes only its part of the spec. Mutators are applied in
 * order; where the order matters (capabilities before seccomp, privileged last) the mutator says so.
 */
export type SpecOpt = (spec: Spec) => void;

/** Applies `opts` in order to `spec` and returns it. */
export function applySpecOpts(spec: Spec, ...opts: SpecOpt[]): Spec {
  for (const opt of opts) opt(spec);
  return spec;
}

export function linuxOf(spec: Spec): Linux {
  spec.linux ??= {};
  return spec.linux;
}

export function resourcesOf(spec: Spec): LinuxResources {
  const linux = linuxOf(spec);
  linux.resources ??= {};
  return linux.resources;
}

export function processOf(spec: Spec): Process {
  spec.process ??= { user: { uid: 0, gid: 0 }, args: [], cwd: '/' };
  return spec.process;
}
