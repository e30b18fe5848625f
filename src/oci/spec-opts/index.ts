/**
 * SpecOpt mutators that build a container's OCI config.json the way Docker does.
 *
 * @example
 * ```ts
 * const spec = applySpecOpts(
 *   defaultSpec({ rootfs: 'rootfs', args: ['echo', 'hello'] }),
 *   withDefaultMounts(), withDefaultCapabilities(), withMaskedPaths(), withReadonlyPaths(),
 *   withNamespaces(), withDefaultDevices(), withCgroupsPath(id), withSeccomp(profile),
 * );
 * ```
 *
 * @module
 */
export { applySpecOpts, type SpecOpt } from './spec-opt.js';
export { defaultSpec, DEFAULT_PATH_ENV, type DefaultSpecOptions } from './default-spec.js';
export { defaultMounts, withDefaultMounts, withMounts } from './mounts.js';
export {
  ALL_CAPABILITIES, DEFAULT_CAPABILITIES, capabilityMask, capabilitiesOfMask, grantableCapabilities,
  normalizeCapability, withCapAdd, withCapDrop, withCapTweaks, withCapabilities, withDefaultCapabilities,
} from './capabilities.js';
export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, hostThermalThrottlePaths, withMaskedPaths, withReadonlyPaths } from './paths.js';
export { withNamespaces, type NamespaceMode, type NamespaceOptions } from './namespaces.js';
export { withResources, type ResourceOptions } from './resources.js';
export { DEFAULT_CGROUP_PARENT, withCgroupsPath, type CgroupsPathOptions } from './cgroups.js';
export { RLIM_INFINITY, normalizeRlimitType, parseProcLimits, readProcessHardLimits, withRlimits } from './rlimits.js';
export { withNoNewPrivileges, withPrivileged, type PrivilegedOptions } from './security.js';
export { DEFAULT_DEVICE_RULES, withDefaultDevices } from './devices.js';
export { withSeccomp } from './seccomp.js';
