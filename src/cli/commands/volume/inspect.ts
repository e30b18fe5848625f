import { defineCommand } from '../../command.js';
import { inspectEach } from '../../render.js';

export const volumeInspect = defineCommand({
  path: ['volume', 'inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  minArgs: 1,
  flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template', valueName: 'string' }],
  async run(ctx, v, args) {
    return inspectEach(ctx, args, v.format, (n) => ctx.client().volumeInspect(n));
  },
});
