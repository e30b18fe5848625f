import { cleanEnv, runCli } from '../cli.js';
import { NotApplicable, targetOf, type Benchmark, type BenchContext, type SideName } from '../types.js';

/** `docker version`: the CLI pings, negotiates the API version, then GET /version. */
export const cliVersion: Benchmark = {
  name: 'cli-version',
  description: '`docker version` round trip (CLI start, _ping, GET /version) against each daemon',
  runs: 10,
  async run(side, ctx) {
    const r = await targetOf(ctx, side).docker(['version']);
    if (!/^Server/m.test(r.stdout)) throw new Error(`docker version printed no Server section:\n${r.stdout}${r.stderr}`);
    return r.seconds;
  },
};

async function estibaVersion(ctx: BenchContext): Promise<{ seconds: number; out: string; code: number }> {
  const r = await runCli(process.execPath, [ctx.estibaCli, 'version'], { env: cleanEnv({ DOCKER_HOST: ctx.targets.estiba.host }) });
  return { seconds: r.seconds, out: r.stdout + r.stderr, code: r.code };
}

/** CLI start-up cost: both sides talk to estibad; only the client differs. */
export const cliVersionEstibaCli: Benchmark = {
  name: 'cli-version:estiba-cli',
  description:
    'client start-up: `estiba version` (estiba column) vs `docker version` (docker column), both against estibad; ' +
    'the estiba CLI is node + dist/bin/estiba.js',
  runs: 10,
  needsDockerd: false,
  async setup(side: SideName, ctx) {
    if (side === 'docker') return;
    const probe = await estibaVersion(ctx);
    if (probe.code !== 0 || !/^Server/m.test(probe.out)) {
      throw new NotApplicable(
        `\`estiba version\` does not work yet (exit ${probe.code}, printed ${JSON.stringify(probe.out.trim().slice(0, 80))})`,
      );
    }
    const node = await runCli(process.execPath, ['-e', '0'], { env: cleanEnv() });
    return `floor: \`node -e 0\` takes ${(node.seconds * 1000).toFixed(1)} ms here`;
  },
  async run(side, ctx) {
    if (side === 'docker') return (await ctx.targets.estiba.docker(['version'])).seconds;
    const r = await estibaVersion(ctx);
    if (r.code !== 0) throw new Error(`estiba version exited ${r.code}: ${r.out}`);
    return r.seconds;
  },
};
