import { removeImage } from '../api.js';
import { targetOf, type Benchmark } from '../types.js';
import { RANDOM_TAG, randomImage } from './random-image.js';

export const load200mb: Benchmark = {
  name: 'load-200mb',
  description: '`docker load -i` of a ~200 MB image (5 × 40 MiB random layers); `docker rmi` (untimed) after each run',
  runs: 7,
  settle: true,
  async setup(side, ctx) {
    const t = targetOf(ctx, side);
    const img = await randomImage(ctx);
    await removeImage(t.socketPath, img.info.id);
    return `archive ${(img.info.size / 1e6).toFixed(0)} MB`;
  },
  async run(side, ctx) {
    const t = targetOf(ctx, side);
    const img = await randomImage(ctx);
    const r = await t.docker(['load', '-i', img.path]);
    if (!r.stdout.includes(`Loaded image: ${RANDOM_TAG}`)) throw new Error(`docker load printed: ${r.stdout}${r.stderr}`);
    await t.docker(['rmi', RANDOM_TAG]);
    return r.seconds;
  },
  async teardown(side, ctx) {
    await removeImage(targetOf(ctx, side).socketPath, (await randomImage(ctx)).info.id);
  },
};
