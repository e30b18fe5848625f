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

/**
 * `docker build -q` of the bench context. estiba: the classic builder API through the docker CLI 28.
 * docker: the classic builder too (DOCKER_BUILDKIT=0), or with `buildkit` dockerd's BuildKit
 * through Debian's docker CLI 20.10 (which speaks BuildKit's session API without buildx).
 */
async function build(side: SideName, ctx: BenchContext, args: string[], buildkit = false): Promise<number> {
  const t = targetOf(ctx, side);
  const bk = buildkit && side === 'docker';
  const env = cleanEnv({ DOCKER_HOST: t.host, DOCKER_CONFIG: join(t.workDir, 'docker-config'), DOCKER_CLI_HINTS: 'false', DOCKER_BUILDKIT: bk ? '1' : '0' });
  const cli = bk ? '/usr/bin/docker' : ctx.dockerCli;
  const r = await runCli(cli, ['build', '-q', '--network', 'none', ...args, join(t.workDir, 'build-ctx')], { env });
  if (r.code !== 0) throw new Error(`docker build (${side}${bk ? ', BuildKit' : ''}) exited ${r.code}: ${r.stderr.trim()}`);
  return r.seconds;
}

/** Per side, so that each side's run changes main.txt to a version it has not built. */
const versions: Record<SideName, number> = { estiba: 0, docker: 0 };

function setupFor(buildkit: boolean) {
  return async (side: SideName, ctx: BenchContext): Promise<void> => {
    const t = targetOf(ctx, side);
    const bb = await ctx.fixture('busybox.tar', (p) => writeBusyboxArchive(p));
    await loadImage(t.socketPath, bb.path);
    await writeContext(join(t.workDir, 'build-ctx'), versions[side]);
    // One build fills the cache for the cached cases.
    await build(side, ctx, ['-t', 'bench-build:latest'], buildkit);
  };
}

function cases(buildkit: boolean): Benchmark[] {
  const suffix = buildkit ? ':buildkit' : '';
  const vs = buildkit ? 'estiba (classic builder API) vs dockerd\'s BuildKit (docker CLI 20.10, DOCKER_BUILDKIT=1)' : 'classic builder on both sides';
  const setup = setupFor(buildkit);
  return [
    {
      name: `build-cold${suffix}`,
      description: `\`docker build --no-cache\` of a 12-step Dockerfile on busybox (3 RUN, 2 COPY); ${vs}`,
      runs: 3,
      setup,
      run: (side, ctx) => build(side, ctx, ['--no-cache', '-t', 'bench-build:latest'], buildkit),
    },
    {
      name: `build-cached${suffix}`,
      description: `the same build again with nothing changed: every step from the cache; ${vs}`,
      runs: 5,
      setup,
      run: (side, ctx) => build(side, ctx, ['-t', 'bench-build:latest'], buildkit),
    },
    {
      name: `build-one-changed${suffix}`,
      description: `the build after one copied file changed: the last COPY and the 4 steps after it rerun; ${vs}`,
      runs: 3,
      setup,
      async run(side, ctx) {
        // Untimed: a new version of main.txt.
        const t = targetOf(ctx, side);
        const v = ++versions[side];
        await writeFile(join(t.workDir, 'build-ctx', 'main.txt'), `main version ${v}\n`);
        return build(side, ctx, ['-t', 'bench-build:latest'], buildkit);
      },
    },
  ];
}

export const [buildCold, buildCached, buildOneChanged] = cases(false) as [Benchmark, Benchmark, Benchmark];
export const [buildColdBuildkit, buildCachedBuildkit, buildOneChangedBuildkit] = cases(true) as [Benchmark, Benchmark, Benchmark];
