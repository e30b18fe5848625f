// Bundles the two executables into single files: CLI start-up is dominated by module loading.
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
let commit = 'unknown';
try { commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { /* not a git checkout */ }

const common = {
  bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning',
  define: { __ESTIBA_VERSION__: JSON.stringify(pkg.version), __GIT_COMMIT__: JSON.stringify(commit) },
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};
for (const name of ['estiba', 'estibad']) {
  const outfile = `dist/bin/${name}.js`;
  // Node 20 takes `--env-file X` anywhere on its command line as its own option, even after the
  // script (`estiba run --env-file X …`); options end at `--`, so the CLI's shebang passes one.
  const banner = name === 'estiba' ? { js: common.banner.js.replace('#!/usr/bin/env node', '#!/usr/bin/env -S node --') } : common.banner;
  await build({ ...common, banner, entryPoints: [`src/cmd/${name}.ts`], outfile });
  chmodSync(outfile, 0o755);
}
