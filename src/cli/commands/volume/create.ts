import { InvalidParameter } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';
import { keyValues } from './context.js';

export const volumeCreate = defineCommand({
  path: ['volume', 'create'],
  usage: '[OPTIONS] [VOLUME]',
  description: 'Create a volume',
  maxArgs: 1,
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'local', description: 'Specify volume driver name', valueName: 'string' },
    { name: 'label', type: 'stringArray', description: 'Set metadata for a volume', valueName: 'list' },
    { name: 'name', type: 'string', description: 'Specify volume name', valueName: 'string', hidden: true },
    { name: 'opt', short: 'o', type: 'stringArray', description: 'Set driver specific options', valueName: 'map' },
  ],
  async run(ctx, v, args) {
    const name = args[0] ?? '';
    if (name !== '' && v.name !== '' && name !== v.name) {
      throw new InvalidParameter('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
    }
    for (const o of v.opt) if (!o.includes('=')) throw new InvalidParameter(`invalid key value pair format in driver options`);
    const vol = await ctx.client().volumeCreate({
      Name: name || v.name,
      Driver: v.driver,
      ...(v.opt.length > 0 ? { DriverOpts: keyValues(v.opt) } : {}),
      ...(v.label.length > 0 ? { Labels: keyValues(v.label) } : {}),
    });
    ctx.io.stdout.write(`${vol.Name}\n`);
    return 0;
  },
});
