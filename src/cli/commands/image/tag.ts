import { defineCommand } from '../../command.js';

export const imageTag = defineCommand({
  path: ['image', 'tag'],
  aliases: [['tag']],
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  minArgs: 2,
  maxArgs: 2,
  flags: [],
  async run(ctx, _v, args) {
    const target = args[1]!;
    // The daemon validates the reference; the CLI only splits repository and tag.
    const at = target.lastIndexOf(':');
    const hasTag = at > target.lastIndexOf('/');
    await ctx.client().imageTag(args[0]!, hasTag ? target.slice(0, at) : target, hasTag ? target.slice(at + 1) : undefined);
    return 0;
  },
});
