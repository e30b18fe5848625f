import { writeBusyboxArchive } from '../../test/fixtures/images.js';
import { apiOk, listImageRefs, loadImage, removeImage } from '../api.js';
import { targetOf, type Benchmark } from '../types.js';

const TAGS = 500;
const REPO = 'bench/images-500';

/** `docker images` with 500 tags of one image (plus busybox:latest itself). */
export const images500: Benchmark = {
  name: 'images-500',
  description: `\`docker images\` listing ${TAGS} tags of one image (busybox loaded, then tagged through the API)`,
  runs: 10,
  async setup(side, ctx) {
    const t = targetOf(ctx, side);
    const bb = await ctx.fixture('busybox.tar', (p) => writeBusyboxArchive(p));
    await loadImage(t.socketPath, bb.path);
    const t0 = performance.now();
    for (let i = 0; i < TAGS; i++) {
      await apiOk(t.socketPath, 'POST', `/images/busybox:latest/tag?repo=${encodeURIComponent(REPO)}&tag=t${i}`);
    }
    const ms = performance.now() - t0;
    return `${TAGS} × POST /images/{name}/tag (sequential): ${(ms / 1000).toFixed(2)} s, ${(ms / TAGS).toFixed(2)} ms per tag`;
  },
  async run(side, ctx) {
    const r = await targetOf(ctx, side).docker(['images']);
    // header + busybox:latest + the tags
    const rows = r.stdout.trimEnd().split('\n').length;
    if (rows < TAGS + 2) throw new Error(`docker images printed ${rows} lines, expected ≥ ${TAGS + 2}`);
    return r.seconds;
  },
  async teardown(side, ctx) {
    const t = targetOf(ctx, side);
    // Tags one at a time: whether DELETE of an ID with force drops every tag differs between engines.
    for (const img of await listImageRefs(t.socketPath)) {
      for (const tag of img.tags) if (tag.startsWith(`${REPO}:`) || tag === 'busybox:latest') await removeImage(t.socketPath, tag);
    }
  },
};
