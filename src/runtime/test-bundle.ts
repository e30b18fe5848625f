/**
 * Test helpers: a busybox root filesystem unpacked once as an overlay lower layer, and per-test
 * bundles whose rootfs is an overlay mount (lower = the layer, upper/work in the bundle), the way
 * the engine will run containers. Every mount and directory is removed by `cleanup()`.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { busyboxLayerEntries, packTar } from '../../test/fixtures/images.js';
import { applyLayer } from '../store/layers/apply.js';
import type { Spec } from '../oci/runtime-spec.js';
import {
  applySpecOpts, defaultSpec, withCgroupsPath, withDefaultCapabilities, withDefaultDevices, withDefaultMounts,
  withMaskedPaths, withNamespaces, withReadonlyPaths, withSeccomp, type SpecOpt,
} from '../oci/spec-opts/index.js';
import { loadSeccompProfile } from '../oci/seccomp-profile.js';

const execFileP = promisify(execFile);

export interface Scratch {
  root: string;
  lower: string;
  cleanup(): Promise<void>;
}

/** A temp root with the busybox layer unpacked in `<root>/layer`. */
export async function busyboxScratch(prefix = 'estiba-runtime-'): Promise<Scratch> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const lower = join(root, 'layer');
  await mkdir(lower);
  const tar = await packTar(await busyboxLayerEntries());
  await applyLayer({ input: Readable.from([tar]), dest: lower });
  return { root, lower, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export interface TestBundle {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  /** Unmounts the rootfs and removes the bundle directory. */
  cleanup(): Promise<void>;
}

/** Docker's default security setup around `args`, as the engine will compose it. */
export async function dockerLikeSpec(id: string, args: string[], extra: SpecOpt[] = [], opts: { terminal?: boolean } = {}): Promise<Spec> {
  const profile = await loadSeccompProfile();
  return applySpecOpts(
    defaultSpec({ rootfs: 'rootfs', args, hostname: id.slice(0, 12), terminal: opts.terminal ?? false }),
    withDefaultMounts(), withDefaultCapabilities(), withMaskedPaths(), withReadonlyPaths(), withNamespaces(),
    withDefaultDevices(), withCgroupsPath(id), ...extra, withSeccomp(profile),
  );
}

/** `<scratch>/bundles/<id>` with config.json and an overlay rootfs mounted over the busybox layer. */
export async function makeBundle(scratch: Scratch, id: string, spec: Spec): Promise<TestBundle> {
  const bundle = join(scratch.root, 'bundles', id);
  const rootfs = join(bundle, 'rootfs');
  const upper = join(bundle, 'upper');
  const work = join(bundle, 'work');
  for (const d of [rootfs, upper, work]) await mkdir(d, { recursive: true });
  await execFileP('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${scratch.lower},upperdir=${upper},workdir=${work}`, rootfs]);
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return {
    id,
    bundle,
    rootfs,
    spec,
    cleanup: async () => {
      await execFileP('umount', ['-l', rootfs]).catch((err: unknown) => {
        // Already unmounted (a test may unmount to check cleanup); anything else must surface.
        if (!String((err as { stderr?: string }).stderr ?? '').includes('not mounted')) throw err;
      });
      await rm(bundle, { recursive: true, force: true });
    },
  };
}
