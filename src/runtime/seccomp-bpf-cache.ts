/**
 * A cache of compiled seccomp filters for crun. crun compiles the OCI `linux.seccomp` section
 * with libseccomp on every `create`: about 20 ms of its 40 ms here for Docker's default profile,
 * the largest single cost of starting a container. Debian's crun 1.8 keeps no cache of its own,
 * but it leaves the program it compiled in `<root>/<id>/seccomp.bpf` and takes a precompiled one
 * through the `run.oci.seccomp_bpf_data` annotation (base64), the seccomp section then being
 * ignored. So the first container with a given section pays for the compilation and the next
 * ones load crun's own output for that same section.
 *
 * The key is the section's JSON plus the identity of the crun binary (path, size, mtime): a crun
 * upgraded under a running daemon compiles afresh. Kept in memory only, and bounded.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isErrno } from '../errdefs/index.js';
import type { Spec } from '../oci/runtime-spec.js';

export const SECCOMP_BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

/** What the cache needs of a runtime: its binary and its state root. */
export interface BpfRuntime {
  path: string;
  root: string;
}

const MAX_ENTRIES = 32;

export class SeccompBpfCache {
  readonly #entries = new Map<string, string>();

  /** Only crun reads the annotation; runc would ignore it and compile anyway. */
  static supports(rt: BpfRuntime): boolean {
    return basename(rt.path) === 'crun';
  }

  /**
   * Puts the cached program for `spec`'s seccomp section into its annotations. Returns the key
   * to {@link learn} from after the create when there was none (undefined: nothing to do).
   */
  prepare(spec: Spec, rt: BpfRuntime): { hit: boolean; key: string } | undefined {
    const seccomp = spec.linux?.seccomp;
    if (seccomp === undefined || !SeccompBpfCache.supports(rt)) return undefined;
    let id: string;
    try {
      const st = statSync(rt.path);
      id = `${rt.path}\0${st.size}\0${st.mtimeMs}`;
    } catch {
      return undefined;
    }
    const key = createHash('sha256').update(id).update('\0').update(JSON.stringify(seccomp)).digest('hex');
    const bpf = this.#entries.get(key);
    if (bpf === undefined) return { hit: false, key };
    spec.annotations = { ...spec.annotations, [SECCOMP_BPF_ANNOTATION]: bpf };
    return { hit: true, key };
  }

  /** After a successful create that compiled the section: keep crun's program for `key`. */
  async learn(key: string, rt: BpfRuntime, containerId: string): Promise<void> {
    let data: Buffer;
    try {
      data = await readFile(join(rt.root, containerId, 'seccomp.bpf'));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    // A classic BPF program is a whole number of 8-byte instructions; anything else is not one.
    if (data.length === 0 || data.length % 8 !== 0) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, data.toString('base64'));
  }

  get size(): number {
    return this.#entries.size;
  }
}
