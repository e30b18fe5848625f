import { messageOf } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';
import { daemonError } from '../../errors.js';

export const volumeRm = defineCommand({
  path: ['volume', 'rm'],
  aliases: [['volume', 'remove']],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  minArgs: 1,
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  async run(ctx, v, args) {
    const errors: string[] = [];
    for (const name of args) {
      try {
        await ctx.client().volumeRemove(name, { force: v.force });
        ctx.io.stdout.write(`${name}\n`);
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
