import { writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { packContext } from '../../../build/context-pack.js';
import { defineCommand } from '../../command.js';

async function readText(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `estiba build`: docker's flags; the daemon's classic-builder stream printed as it comes, with step timings. */
export const imageBuild = defineCommand({
  path: ['image', 'build'],
  aliases: [['build'], ['builder', 'build']],
  usage: '[OPTIONS] PATH | -',
  description: 'Build an image from a Dockerfile',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'tag', short: 't', type: 'stringArray', description: 'Name and optionally a tag in the "name:tag" format', valueName: 'list' },
    { name: 'file', short: 'f', type: 'string', description: 'Name of the Dockerfile (Default is "PATH/Dockerfile")', valueName: 'string' },
    { name: 'build-arg', type: 'stringArray', description: 'Set build-time variables', valueName: 'list' },
    { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
    { name: 'label', type: 'stringArray', description: 'Set metadata for an image', valueName: 'list' },
    { name: 'target', type: 'string', description: 'Set the target build stage to build.', valueName: 'string' },
    { name: 'network', type: 'string', default: 'default', description: 'Set the networking mode for the RUN instructions during build', valueName: 'string' },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable', valueName: 'string' },
    { name: 'pull', type: 'bool', description: 'Always attempt to pull a newer version of the image' },
    { name: 'rm', type: 'bool', default: true, description: 'Remove intermediate containers after a successful build' },
    { name: 'force-rm', type: 'bool', description: 'Always remove intermediate containers' },
    { name: 'add-host', type: 'stringArray', description: 'Add a custom host-to-IP mapping ("host:ip")', valueName: 'list' },
    { name: 'iidfile', type: 'string', description: 'Write the image ID to the file', valueName: 'string' },
  ],
  async run(ctx, v, args) {
    const src = args[0]!;
    let tar: Readable;
    let dockerfile = v.file ?? '';
    if (src === '-') {
      tar = ctx.io.stdin;
    } else {
      const packed = await packContext(src, v.file === '-' ? { dockerfileText: await readText(ctx.io.stdin) } : { ...(v.file ? { dockerfile: v.file } : {}) });
      tar = packed.tar;
      dockerfile = packed.dockerfile;
    }
    const buildArgs: Record<string, string | null> = {};
    for (const a of v['build-arg'] ?? []) {
      const eq = a.indexOf('=');
      // `--build-arg NAME` takes the value from the environment, as docker does.
      buildArgs[eq < 0 ? a : a.slice(0, eq)] = eq < 0 ? (process.env[a] ?? null) : a.slice(eq + 1);
    }
    const labels: Record<string, string> = {};
    for (const l of v.label ?? []) {
      const eq = l.indexOf('=');
      labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
    }
    const query: Record<string, string | string[] | undefined> = {
      t: v.tag ?? [],
      dockerfile: dockerfile || undefined,
      buildargs: JSON.stringify(buildArgs),
      labels: JSON.stringify(labels),
      nocache: v['no-cache'] ? '1' : undefined,
      q: v.quiet ? '1' : undefined,
      target: v.target || undefined,
      networkmode: v.network || undefined,
      platform: v.platform || undefined,
      pull: v.pull ? '1' : undefined,
      rm: v.rm ? '1' : '0',
      forcerm: v['force-rm'] ? '1' : undefined,
      extrahosts: (v['add-host'] ?? []).join(',') || undefined,
    };
    let imageId = '';
    const t0 = ctx.now().getTime();
    let stepStart = t0;
    try {
      await ctx.client().imageBuild(tar, query, (m) => {
        const aux = m.aux as { ID?: unknown } | undefined;
        if (typeof aux?.ID === 'string') imageId = aux.ID;
        if (m.stream === undefined) return;
        if (v.quiet) {
          if (/^sha256:[0-9a-f]{64}\n$/.test(m.stream)) imageId = m.stream.trim();
          return;
        }
        if (m.stream.startsWith('Step ')) {
          // Readable progress: how long the previous step took, when it took a while.
          const now = ctx.now().getTime();
          if (now - stepStart >= 100 && stepStart !== t0) ctx.io.stdout.write(` ---> took ${((now - stepStart) / 1000).toFixed(2)}s\n`);
          stepStart = now;
        }
        ctx.io.stdout.write(m.stream);
      });
    } catch (err) {
      ctx.io.stderr.write(`${(err as Error).message}\n`);
      const code = (err as { code?: unknown }).code;
      return typeof code === 'number' && code > 0 ? code : 1;
    }
    if (v.quiet) ctx.io.stdout.write(`${imageId}\n`);
    else ctx.io.stdout.write(`Build finished in ${((ctx.now().getTime() - t0) / 1000).toFixed(2)}s\n`);
    if (v.iidfile) await writeFile(v.iidfile, imageId);
    return 0;
  },
});
