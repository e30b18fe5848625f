import { messageOf } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';
import { daemonError } from '../../errors.js';

export const imageRm = defineCommand({
  path: ['image', 'rm'],
  aliases: [['rmi'], ['image', 'remove']],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  minArgs: 1,
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', description: 'Do not delete untagged parents' },
  ],
  async run(ctx, v, args) {
    const errors: string[] = [];
    for (const name of args) {
      try {
        for (const item of await ctx.client().imageRemove(name, { force: v.force, noprune: v['no-prune'] })) {
          if ('Untagged' in item) ctx.io.stdout.write(`Untagged: ${item.Untagged}\n`);
          else ctx.io.stdout.write(`Deleted: ${item.Deleted}\n`);
        }
      } catch (err) {
        errors.push(daemonError(err) ?? messageOf(err));
      }
    }
    if (errors.length > 0) {
      ctx.io.stderr.write(errors.join('\n') + '\n');
      return 1;
    }
    return 0;
  },
});
