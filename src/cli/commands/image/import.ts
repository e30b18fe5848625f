import { createReadStream } from 'node:fs';
import { InvalidParameter } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';

export const imageImport = defineCommand({
  path: ['image', 'import'],
  aliases: [['import']],
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'change', short: 'c', type: 'stringArray', description: 'Apply Dockerfile instruction to the created image', valueName: 'list' },
    { name: 'message', short: 'm', type: 'string', description: 'Set commit message for imported image', valueName: 'string' },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable', valueName: 'string' },
  ],
  async run(ctx, v, args) {
    const src = args[0]!;
    if (/^https?:\/\//.test(src)) throw new InvalidParameter('importing from a URL is not supported by estiba yet');
    const input = src === '-' ? ctx.io.stdin : createReadStream(src);
    let repo: string | undefined;
    let tag: string | undefined;
    if (args[1]) {
      const t = args[1];
      const at = t.lastIndexOf(':');
      if (at > t.lastIndexOf('/')) {
        repo = t.slice(0, at);
        tag = t.slice(at + 1);
      } else repo = t;
    }
    const id = await ctx.client().imageImport(input, {
      repo,
      tag,
      changes: v.change,
      message: v.message || undefined,
      platform: v.platform || undefined,
    });
    ctx.io.stdout.write(`${id}\n`);
    return 0;
  },
});
