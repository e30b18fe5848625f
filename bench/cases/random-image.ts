import { writeRandomImageArchive, type ImageArchiveInfo } from '../../test/fixtures/images.js';
import type { BenchContext } from '../types.js';

export const RANDOM_TAG = 'bench/random:200mb';

/** The ~200 MB image (5 layers × 40 MiB of incompressible data), generated once per run. */
export function randomImage(ctx: BenchContext): Promise<{ path: string; info: ImageArchiveInfo }> {
  return ctx.fixture('random-200mb.tar', (p) => writeRandomImageArchive(p, { tag: RANDOM_TAG, layers: 5, layerSize: 40 * 1024 * 1024 }));
}
