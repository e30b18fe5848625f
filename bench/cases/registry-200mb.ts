/**
 * Pull and push of the ~200 MB random image (5 × 40 MiB incompressible layers) against one
 * loopback docker-registry (distribution 2.8), estibad vs the dockerd peer, same docker CLI.
 *
 * - pull: the registry holds the image as pushed by estiba (gzip layers); each run removes the
 *   image (untimed) and pulls it back (timed: download, verify, unpack).
 * - push: each run starts from the freshly loaded image (untimed `rmi` + `load`, so both daemons
 *   hold uncompressed layers and must gzip them, and no blob mount or earlier upload helps) and
 *   a fresh empty registry (untimed), then pushes (timed).
 */
import { startRegistry, type TestRegistry } from '../../test/helpers/registry.js';
import { loadImage, removeImage } from '../api.js';
import { targetOf, type Benchmark, type BenchContext, type SideName } from '../types.js';
import { RANDOM_TAG, randomImage } from './random-image.js';

let pullRegistry: Promise<{ reg: TestRegistry; name: string }> | undefined;
let pullUsers = 0;

/** The registry for the pull case, with the image pushed into it once (by estiba). */
function pullSource(ctx: BenchContext): Promise<{ reg: TestRegistry; name: string }> {
  pullRegistry ??= (async () => {
    const reg = await startRegistry();
    const est = targetOf(ctx, 'estiba');
    const img = await randomImage(ctx);
    await loadImage(est.socketPath, img.path);
    const name = `${reg.host}/bench/random:200mb`;
    await est.docker(['tag', RANDOM_TAG, name]);
    await est.docker(['push', name], { discardStdout: true });
    await est.docker(['rmi', name]);
    await removeImage(est.socketPath, img.info.id);
    return { reg, name };
  })();
  return pullRegistry;
}

export const registryPull200mb: Benchmark = {
  name: 'registry-pull-200mb',
  description: '`docker pull` of a ~200 MB image (5 × 40 MiB random layers, gzip) from a loopback docker-registry; `docker rmi` (untimed) after each run',
  runs: 5,
  settle: true,
  async setup(side, ctx) {
    pullUsers++;
    const { name } = await pullSource(ctx);
    await targetOf(ctx, side).docker(['rmi', '-f', name], { allowFail: true });
  },
  async run(side, ctx) {
    const t = targetOf(ctx, side);
    const { name } = await pullSource(ctx);
    const r = await t.docker(['pull', name], { discardStdout: true });
    await t.docker(['rmi', name]);
    return r.seconds;
  },
  async teardown(_side: SideName) {
    if (--pullUsers === 0 && pullRegistry) {
      await (await pullRegistry).reg.stop();
      pullRegistry = undefined;
    }
  },
};

let pushCount = 0;

export const registryPush200mb: Benchmark = {
  name: 'registry-push-200mb',
  description: '`docker push` of a freshly loaded ~200 MB image (5 × 40 MiB random layers, held uncompressed: both daemons gzip) to an empty loopback docker-registry',
  runs: 5,
  settle: true,
  async run(side, ctx) {
    const t = targetOf(ctx, side);
    const img = await randomImage(ctx);
    await removeImage(t.socketPath, img.info.id);
    await loadImage(t.socketPath, img.path);
    const reg = await startRegistry();
    try {
      const name = `${reg.host}/bench/push-${side}-${++pushCount}:200mb`;
      await t.docker(['tag', RANDOM_TAG, name]);
      const r = await t.docker(['push', name], { discardStdout: true });
      return r.seconds;
    } finally {
      await reg.stop();
      await removeImage(t.socketPath, img.info.id);
    }
  },
};
