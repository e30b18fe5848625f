import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../../test/fixtures/images.js';
import { loadImage } from '../api.js';
import { cleanEnv, runCli } from '../cli.js';
import { targetOf, type BenchContext, type Benchmark, type SideName } from '../types.js';

/** A 12-step Dockerfile on busybox: metadata, RUNs, COPYs of a small source tree. */
const DOCKERFILE = `FROM busybox:latest
LABEL org.example.bench=build
ENV APP=/app MODE=bench
WORKDIR /app
RUN mkdir -p /app/data && echo seed > /app/data/seed
COPY src/ /app/src/
RUN cat /app/src/*.txt | wc -l > /app/lines
COPY main.txt /app/main.txt
RUN sha256sum /app/main.txt > /app/main.sum
EXPOSE 8080
USER 1000
CMD ["cat", "/app/main.sum"]
`;

/** The context: 20 small source files and main.txt; `version` changes main.txt only. */
async function writeContext(dir: string, version: number): Promise<void> {
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
  for (let i = 0; i < 20; i++) await writeFile(join(dir, 'src', `f${i}.txt`), `source file ${i}\n`.repeat(50));
  await writeFile(join(dir, 'main.txt'), `main version ${version}\n`);
}

/** `docker build` with the classic builder on both sides (DOCKER_BUILDKIT=0), docker CLI 28. */
async function build(side: SideName, ctx: BenchContext, args: string[]): Promise<number> {
  const t = targetOf(ctx, side);
  const env = cleanEnv({ DOCKER_HOST: t.host, DOCKER_CONFIG: join(t.workDir, 'docker-config'), DOCKER_CLI_HINTS: 'false', DOCKER_BUILDKIT: '0' });
  const r = await runCli(ctx.dockerCli, ['build', '-q', '--network', 'none', ...args, join(t.workDir, 'build-ctx')], { env });
  if (r.code !== 0) throw new Error(`docker build (${side}) exited ${r.code}: ${r.stderr.trim()}`);
  return r.seconds;
}

/** Per side, so that each side's run changes main.txt to a version it has not built. */
const versions: Record<SideName, number> = { estiba: 0, docker: 0 };

async function setup(side: SideName, ctx: BenchContext): Promise<void> {
  const t = targetOf(ctx, side);
  const bb = await ctx.fixture('busybox.tar', (p) => writeBusyboxArchive(p));
  await loadImage(t.socketPath, bb.path);
  await writeContext(join(t.workDir, 'build-ctx'), versions[side]);
  // One build fills the cache for the cached cases.
  await build(side, ctx, ['-t', 'bench-build:latest']);
}

export const buildCold: Benchmark = {
  name: 'build-cold',
  description: '`docker build --no-cache` of a 12-step Dockerfile on busybox (3 RUN, 2 COPY), classic builder on both sides',
  runs: 3,
  setup,
  run: (side, ctx) => build(side, ctx, ['--no-cache', '-t', 'bench-build:latest']),
};

export const buildCached: Benchmark = {
  name: 'build-cached',
  description: 'the same build again with nothing changed: every step from the cache',
  runs: 5,
  setup,
  run: (side, ctx) => build(side, ctx, ['-t', 'bench-build:latest']),
};

export const buildOneChanged: Benchmark = {
  name: 'build-one-changed',
  description: 'the build after one copied file changed: the last COPY and the 4 steps after it rerun',
  runs: 3,
  setup,
  async run(side, ctx) {
    // Untimed: a new version of main.txt.
    const t = targetOf(ctx, side);
    const v = ++versions[side];
    await writeFile(join(t.workDir, 'build-ctx', 'main.txt'), `main version ${v}\n`);
    return build(side, ctx, ['-t', 'bench-build:latest']);
  },
};
