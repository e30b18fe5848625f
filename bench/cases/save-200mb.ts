import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadImage, removeImage } from '../api.js';
import { targetOf, type Benchmark } from '../types.js';
import { RANDOM_TAG, randomImage } from './random-image.js';

export const save200mb: Benchmark = {
  name: 'save-200mb',
  description: '`docker save -o` of the ~200 MB image (loaded once, untimed) to a file; the file is removed after each run',
  runs: 7,
  settle: true,
  async setup(side, ctx) {
    const t = targetOf(ctx, side);
    await loadImage(t.socketPath, (await randomImage(ctx)).path);
  },
  async run(side, ctx) {
    const t = targetOf(ctx, side);
    const img = await randomImage(ctx);
    const out = join(t.workDir, 'save.tar');
    const r = await t.docker(['save', '-o', out, RANDOM_TAG]);
    const size = (await stat(out)).size;
    await rm(out, { force: true });
    // The layers alone are 5 × 40 MiB; the archive must hold them all.
    if (size < img.info.size * 0.95) throw new Error(`docker save wrote ${size} bytes, the loaded archive has ${img.info.size}`);
    return r.seconds;
  },
  async teardown(side, ctx) {
    await removeImage(targetOf(ctx, side).socketPath, (await randomImage(ctx)).info.id);
  },
};
