import { defineCommand } from '../../command.js';
import { parseFilterFlags } from '../../filters.js';
import { humanSize } from '../../format/units.js';
import { confirm } from '../image/prune.js';

export const volumePrune = defineCommand({
  path: ['volume', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused local volumes',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "label=<label>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, v) {
    const filters = parseFilterFlags(v.filter);
    if (v.all) filters.set('all', ['true']);
    const warning = v.all
      ? 'WARNING! This will remove all local volumes not used by at least one container.'
      : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!v.force && !(await confirm(ctx, warning))) return 0;
    const res = await ctx.client().volumePrune(filters);
    const deleted = res.VolumesDeleted ?? [];
    if (deleted.length > 0) ctx.io.stdout.write(`Deleted Volumes:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
    ctx.io.stdout.write(`Total reclaimed space: ${humanSize(res.SpaceReclaimed)}\n`);
    return 0;
  },
});
