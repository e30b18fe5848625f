import { defineCommand } from '../../command.js';
import { ProgressDisplay } from '../../format/progress.js';
import { registryAuthFor, splitPullReference } from './pull.js';

export const imagePush = defineCommand({
  path: ['image', 'push'],
  aliases: [['push']],
  usage: '[OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'all-tags', short: 'a', type: 'bool', description: 'Push all tags of an image to the repository' },
    { name: 'disable-content-trust', type: 'bool', default: true, description: 'Skip image signing' },
    { name: 'platform', type: 'string', description: 'Push a platform-specific manifest as a single-platform image to the registry', valueName: 'string' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
  ],
  async run(ctx, v, args) {
    const { name, tag } = splitPullReference(args[0]!);
    const display = new ProgressDisplay(ctx.io.stdout, ctx.io.stdout.isTTY === true);
    // Without -a, an untagged name means :latest (docker 28); with -a, every tag.
    const pushTag = v['all-tags'] ? undefined : (tag ?? 'latest');
    if (!v['all-tags'] && tag === undefined && !v.quiet) ctx.io.stdout.write('Using default tag: latest\n');
    await ctx.client().imagePush({ name, ...(pushTag !== undefined ? { tag: pushTag } : {}), registryAuth: await registryAuthFor(ctx, name) }, (m) => {
      if (!v.quiet) display.write(m);
    });
    if (v.quiet) ctx.io.stdout.write(`${args[0]!}\n`);
    return 0;
  },
});
