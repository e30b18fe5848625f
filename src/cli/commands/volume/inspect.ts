import { isNotFound, messageOf } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';
import { daemonError } from '../../errors.js';
import { printInspect } from '../../render.js';

export const volumeInspect = defineCommand({
  path: ['volume', 'inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  minArgs: 1,
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template', valueName: 'string' }],
  async run(ctx, v, args) {
    const items: unknown[] = [];
    const errors: string[] = [];
    for (const n of args) {
      try {
        items.push(await ctx.client().volumeInspect(n));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        errors.push(daemonError(err) ?? messageOf(err));
      }
    }
    printInspect(ctx, items, v.format);
    for (const e of errors) ctx.io.stderr.write(`${e}\n`);
    return errors.length > 0 ? 1 : 0;
  },
});
