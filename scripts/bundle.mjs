// Bundles the two executables into single files: CLI start-up is dominated by module loading.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';

const common = {
  bundle: true, platform: 'node', format: 'esm', target: 'node20', sourcemap: true, logLevel: 'warning',
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};
for (const name of ['estiba', 'estibad']) {
  const outfile = `dist/bin/${name}.js`;
  await build({ ...common, entryPoints: [`src/cmd/${name}.ts`], outfile });
  chmodSync(outfile, 0o755);
}
