import { writeBusyboxArchive } from '../../test/fixtures/images.js';
import { loadImage } from '../api.js';
import { targetOf, type Benchmark } from '../types.js';
import { ensureHugetlbV1 } from '../../src/runtime/host.js';

/** `docker run --rm busybox true` end to end: create, attach, start, wait, remove. */
export const runRm: Benchmark = {
  name: 'run-rm',
  description: '`docker run --rm busybox true` end to end through the docker CLI (no network on either side)',
  runs: 10,
  async setup(side, ctx) {
    const t = targetOf(ctx, side);
    const bb = await ctx.fixture('busybox.tar', (p) => writeBusyboxArchive(p));
    await loadImage(t.socketPath, bb.path);
  },
  async run(side, ctx) {
    const r = await targetOf(ctx, side).docker(['run', '--rm', '--network', 'none', 'busybox', 'true']);
    if (r.code !== 0) throw new Error(`docker run exited ${r.code}: ${r.stderr}`);
    return r.seconds;
  },
};

/**
 * The same with crun on both sides (the bench's dockerd has it as an added runtime): estiba's
 * default is runc, as the issue asks, whose own create costs ≈ 55 ms here (ADR 0007).
 */
export const runRmCrun: Benchmark = {
  name: 'run-rm:crun',
  description: '`docker run --rm --runtime crun busybox true`: run-rm with crun on both sides',
  runs: 10,
  async setup(side, ctx) {
    await ensureHugetlbV1(); // crun on this hybrid cgroup host; estibad does it too, dockerd does not
    await runRm.setup!(side, ctx);
  },
  async run(side, ctx) {
    const r = await targetOf(ctx, side).docker(['run', '--rm', '--runtime', 'crun', '--network', 'none', 'busybox', 'true']);
    if (r.code !== 0) throw new Error(`docker run exited ${r.code}: ${r.stderr}`);
    return r.seconds;
  },
};

const PARALLEL = 20;

/** 20 `docker run --rm` at once: how the daemon copes with concurrent starts. */
export const runParallel: Benchmark = {
  name: 'run-20-parallel',
  description: `${PARALLEL} × \`docker run --rm busybox true\` started at the same time; wall time until all exit`,
  runs: 3,
  async setup(side, ctx) {
    const t = targetOf(ctx, side);
    const bb = await ctx.fixture('busybox.tar', (p) => writeBusyboxArchive(p));
    await loadImage(t.socketPath, bb.path);
  },
  async run(side, ctx) {
    const t = targetOf(ctx, side);
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: PARALLEL }, () => t.docker(['run', '--rm', '--network', 'none', 'busybox', 'true'])),
    );
    const failed = results.find((r) => r.code !== 0);
    if (failed) throw new Error(`a parallel docker run exited ${failed.code}: ${failed.stderr}`);
    return (performance.now() - t0) / 1000;
  },
};
