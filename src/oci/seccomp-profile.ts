/**
 * Docker's seccomp profile format (moby profiles/seccomp/default.json; containers-common ships
 * one in the same format at /usr/share/containers/seccomp.json) and its conversion to the OCI
 * `linux.seccomp` form that runc and crun read.
 *
 * The conversion follows moby's `setupSeccomp` (profiles/seccomp/seccomp_linux.go):
 * - `archMap`: only the entry for the native architecture is used; its `architecture` and
 *   `subArchitectures` become `architectures`. A profile with `architectures` keeps them.
 * - a rule whose `excludes` match (our arch, one of the container's capabilities, or a kernel
 *   at least `minKernel`) is dropped; a rule whose `includes` do not all match is dropped.
 * - capabilities are checked against the container's bounding set, so the profile must be
 *   converted after the capabilities are final.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { InvalidParameter, NotFound } from '../errdefs/index.js';
import { isErrno } from '../errdefs/index.js';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction, SeccompOperator } from './runtime-spec.js';

/** Where Debian's golang-github-containers-common puts Docker-format default profile. */
export const DEFAULT_SECCOMP_PROFILE_PATH = '/usr/share/containers/seccomp.json';

export interface DockerSeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  /** e.g. "4.8" */
  minKernel?: string | null;
}

export interface DockerSeccompSyscall {
  name?: string;
  names?: string[] | null;
  action: SeccompAction;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: SeccompOperator }> | null;
  errnoRet?: number | null;
  /** containers-common adds the errno name; informative only. */
  errno?: string;
  comment?: string;
  includes?: DockerSeccompFilter | null;
  excludes?: DockerSeccompFilter | null;
}

export interface DockerSeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }> | null;
  listenerPath?: string;
  flags?: string[] | null;
  syscalls?: DockerSeccompSyscall[] | null;
}

/** What the conversion depends on besides the profile. */
export interface SeccompTarget {
  /** The container's bounding capabilities (CAP_ names). */
  capabilities: readonly string[];
  /** Go's GOARCH naming, as profiles use it in `arches`: amd64, arm64, x86, arm, ppc64le, s390x … */
  arch?: string;
  /** Kernel release, e.g. "6.1.0-18-amd64" (default: os.release()). */
  kernel?: string;
}

/** Node's process.arch → GOARCH. */
const NODE_TO_GOARCH: Record<string, string> = {
  x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x',
  mips: 'mips', mipsel: 'mipsle', riscv64: 'riscv64', loong64: 'loong64',
};

/** GOARCH → libseccomp's native arch (moby `nativeToSeccomp`). */
const GOARCH_TO_SECCOMP: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM',
  mips64: 'SCMP_ARCH_MIPS64', mips64n32: 'SCMP_ARCH_MIPS64N32', mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32', mipsle: 'SCMP_ARCH_MIPSEL', ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64', ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390', s390x: 'SCMP_ARCH_S390X', loong64: 'SCMP_ARCH_LOONGARCH64',
};

export function nativeGoArch(): string {
  return NODE_TO_GOARCH[process.arch] ?? process.arch;
}

/** "6.1.0-18-amd64" → [6, 1]; "4.8" → [4, 8]. */
export function parseKernelVersion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(v);
  if (m === null) throw new InvalidParameter(`invalid kernel version: ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

function kernelAtLeast(kernel: [number, number], min: string): boolean {
  const [a, b] = parseKernelVersion(min);
  return kernel[0] > a || (kernel[0] === a && kernel[1] >= b);
}

/** Parses and shape-checks a Docker-format profile (JSON text). */
export function parseSeccompProfile(text: string, source = 'seccomp profile'): DockerSeccompProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidParameter(`${source}: invalid JSON`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || typeof (value as { defaultAction?: unknown }).defaultAction !== 'string') {
    throw new InvalidParameter(`${source}: not a seccomp profile (no defaultAction)`);
  }
  return value as DockerSeccompProfile;
}

/** Reads a Docker-format profile; default: containers-common's copy of Docker's. */
export async function loadSeccompProfile(path = DEFAULT_SECCOMP_PROFILE_PATH): Promise<DockerSeccompProfile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) {
      throw new NotFound(`seccomp profile ${path} not found (Debian: apt-get install golang-github-containers-common)`, { cause: err });
    }
    throw err;
  }
  return parseSeccompProfile(text, path);
}

/** Converts a Docker-format profile into the OCI `linux.seccomp` object for one container. */
export function convertSeccompProfile(profile: DockerSeccompProfile, target: SeccompTarget): LinuxSeccomp {
  const arch = target.arch ?? nativeGoArch();
  const kernel = parseKernelVersion(target.kernel ?? release());
  const caps = new Set(target.capabilities);
  const hasArchitectures = (profile.architectures ?? []).length > 0;
  const hasArchMap = (profile.archMap ?? []).length > 0;
  if (hasArchitectures && hasArchMap) {
    throw new InvalidParameter("seccomp profile: both 'architectures' and 'archMap' are specified");
  }

  const out: LinuxSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet !== undefined && profile.defaultErrnoRet !== null) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (hasArchitectures) out.architectures = [...(profile.architectures ?? [])];
  if (hasArchMap) {
    const native = GOARCH_TO_SECCOMP[arch];
    for (const entry of profile.archMap ?? []) {
      if (entry.architecture === native) out.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
    }
  }
  if (profile.flags !== undefined && profile.flags !== null && profile.flags.length > 0) out.flags = [...profile.flags];
  if (profile.listenerPath !== undefined && profile.listenerPath !== '') out.listenerPath = profile.listenerPath;

  const syscalls: LinuxSyscall[] = [];
  for (const call of profile.syscalls ?? []) {
    const names = call.names ?? [];
    if (call.name !== undefined && call.name !== '' && names.length > 0) {
      throw new InvalidParameter("seccomp profile: use either 'name' or 'names', not both");
    }
    if (excluded(call.excludes, arch, caps, kernel)) continue;
    if (!included(call.includes, arch, caps, kernel)) continue;
    const rule: LinuxSyscall = { names: names.length > 0 ? [...names] : [call.name ?? ''], action: call.action };
    if (call.errnoRet !== undefined && call.errnoRet !== null) rule.errnoRet = call.errnoRet;
    const args = call.args ?? [];
    if (args.length > 0) {
      rule.args = args.map((a): LinuxSeccompArg => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    }
    syscalls.push(rule);
  }
  out.syscalls = syscalls;
  return out;
}

function excluded(f: DockerSeccompFilter | null | undefined, arch: string, caps: Set<string>, kernel: [number, number]): boolean {
  if (f === null || f === undefined) return false;
  if ((f.arches ?? []).includes(arch)) return true;
  if ((f.caps ?? []).some((c) => caps.has(c))) return true;
  if (f.minKernel !== undefined && f.minKernel !== null && f.minKernel !== '' && kernelAtLeast(kernel, f.minKernel)) return true;
  return false;
}

function included(f: DockerSeccompFilter | null | undefined, arch: string, caps: Set<string>, kernel: [number, number]): boolean {
  if (f === null || f === undefined) return true;
  const arches = f.arches ?? [];
  if (arches.length > 0 && !arches.includes(arch)) return false;
  if (!(f.caps ?? []).every((c) => caps.has(c))) return false;
  if (f.minKernel !== undefined && f.minKernel !== null && f.minKernel !== '' && !kernelAtLeast(kernel, f.minKernel)) return false;
  return true;
}
